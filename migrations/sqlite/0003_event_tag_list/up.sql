-- The event's tags in order, as a JSON array, so reading events needs no second query;
-- event_tags stays the index that the tag filter uses.
ALTER TABLE events ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
UPDATE events
SET tags = (
    SELECT json_group_array(tag)
    FROM (SELECT tag FROM event_tags t WHERE t.event_id = events.id ORDER BY position)
)
WHERE id IN (SELECT event_id FROM event_tags);
