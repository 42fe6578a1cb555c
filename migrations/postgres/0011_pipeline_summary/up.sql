-- Per-bucket totals of the intentions, kept by a trigger in the same transaction as every
-- write (whatever writes: the service, the demo, a bulk load), so the unfiltered pipeline
-- statistics read a few dozen rows instead of scanning every intention.
-- `major`: CNY and at least 1,000,000,000 (rules::MAJOR_CENTS, in minor units below).
-- Amounts are summed exactly as two integer sums: minor units / 10^9 and minor units % 10^9
-- (no overflow for any realistic number of rows; amounts are never negative).
CREATE TABLE pipeline_summary (
    stage TEXT NOT NULL,
    investment_currency TEXT NOT NULL,
    owner_team_id TEXT NOT NULL,
    major BOOLEAN NOT NULL,
    -- Intentions in the bucket, and how many of them have an amount.
    n BIGINT NOT NULL,
    amounted BIGINT NOT NULL,
    cents_high BIGINT NOT NULL,
    cents_low BIGINT NOT NULL,
    PRIMARY KEY (stage, investment_currency, owner_team_id, major)
);

INSERT INTO pipeline_summary (stage, investment_currency, owner_team_id, major, n, amounted, cents_high, cents_low)
SELECT stage, investment_currency, owner_team_id,
       COALESCE(investment_currency = 'CNY' AND amount_cents >= 100000000000, false) AS major,
       COUNT(*), COUNT(amount_cents), COALESCE(SUM(amount_cents / 1000000000), 0), COALESCE(SUM(amount_cents % 1000000000), 0)
FROM intentions
GROUP BY stage, investment_currency, owner_team_id, 4;

CREATE FUNCTION pipeline_summary_add(r intentions, sign BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pipeline_summary AS s (stage, investment_currency, owner_team_id, major, n, amounted, cents_high, cents_low)
    VALUES (r.stage, r.investment_currency, r.owner_team_id,
            COALESCE(r.investment_currency = 'CNY' AND r.amount_cents >= 100000000000, false),
            sign, sign * (r.amount_cents IS NOT NULL)::int,
            sign * COALESCE(r.amount_cents / 1000000000, 0), sign * COALESCE(r.amount_cents % 1000000000, 0))
    ON CONFLICT (stage, investment_currency, owner_team_id, major) DO UPDATE SET
        n = s.n + excluded.n, amounted = s.amounted + excluded.amounted,
        cents_high = s.cents_high + excluded.cents_high, cents_low = s.cents_low + excluded.cents_low;
END $$;

CREATE FUNCTION pipeline_summary_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM pipeline_summary_add(NEW, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pipeline_summary_add(OLD, -1);
    -- Buckets are locked in key order, so two writers moving rows between the same two
    -- buckets in opposite directions cannot deadlock.
    ELSIF (OLD.stage, OLD.investment_currency, OLD.owner_team_id,
           COALESCE(OLD.investment_currency = 'CNY' AND OLD.amount_cents >= 100000000000, false))
          < (NEW.stage, NEW.investment_currency, NEW.owner_team_id,
             COALESCE(NEW.investment_currency = 'CNY' AND NEW.amount_cents >= 100000000000, false)) THEN
        PERFORM pipeline_summary_add(OLD, -1);
        PERFORM pipeline_summary_add(NEW, 1);
    ELSE
        PERFORM pipeline_summary_add(NEW, 1);
        PERFORM pipeline_summary_add(OLD, -1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER pipeline_summary_insert_delete AFTER INSERT OR DELETE ON intentions
FOR EACH ROW EXECUTE FUNCTION pipeline_summary_track();
CREATE TRIGGER pipeline_summary_update AFTER UPDATE OF stage, investment_currency, owner_team_id, amount_cents ON intentions
FOR EACH ROW WHEN ((OLD.stage, OLD.investment_currency, OLD.owner_team_id, OLD.amount_cents)
                   IS DISTINCT FROM (NEW.stage, NEW.investment_currency, NEW.owner_team_id, NEW.amount_cents))
EXECUTE FUNCTION pipeline_summary_track();
