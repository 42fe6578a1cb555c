-- The event's tags in order, as a JSON array, so reading events needs no second query;
-- event_tags stays the index that the tag filter uses.
ALTER TABLE events ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
UPDATE events e
SET tags = (SELECT json_agg(tag ORDER BY position)::text FROM event_tags t WHERE t.event_id = e.id)
WHERE id IN (SELECT event_id FROM event_tags);
