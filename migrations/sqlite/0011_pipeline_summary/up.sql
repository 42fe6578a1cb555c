-- Per-bucket totals of the intentions, kept by triggers in the same transaction as every
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
) WITHOUT ROWID;

INSERT INTO pipeline_summary (stage, investment_currency, owner_team_id, major, n, amounted, cents_high, cents_low)
SELECT stage, investment_currency, owner_team_id,
       IFNULL(investment_currency = 'CNY' AND amount_cents >= 100000000000, 0) AS major,
       COUNT(*), COUNT(amount_cents), IFNULL(SUM(amount_cents / 1000000000), 0), IFNULL(SUM(amount_cents % 1000000000), 0)
FROM intentions
GROUP BY stage, investment_currency, owner_team_id, major;

CREATE TRIGGER pipeline_summary_insert AFTER INSERT ON intentions
BEGIN
    INSERT INTO pipeline_summary (stage, investment_currency, owner_team_id, major, n, amounted, cents_high, cents_low)
    VALUES (NEW.stage, NEW.investment_currency, NEW.owner_team_id,
            IFNULL(NEW.investment_currency = 'CNY' AND NEW.amount_cents >= 100000000000, 0),
            1, NEW.amount_cents IS NOT NULL, IFNULL(NEW.amount_cents / 1000000000, 0), IFNULL(NEW.amount_cents % 1000000000, 0))
    ON CONFLICT (stage, investment_currency, owner_team_id, major) DO UPDATE SET
        n = n + excluded.n, amounted = amounted + excluded.amounted,
        cents_high = cents_high + excluded.cents_high, cents_low = cents_low + excluded.cents_low;
END;

-- Fires only when one of these columns is written (the service writes changed columns only).
CREATE TRIGGER pipeline_summary_update AFTER UPDATE OF stage, investment_currency, owner_team_id, amount_cents ON intentions
BEGIN
    UPDATE pipeline_summary SET
        n = n - 1, amounted = amounted - (OLD.amount_cents IS NOT NULL),
        cents_high = cents_high - IFNULL(OLD.amount_cents / 1000000000, 0),
        cents_low = cents_low - IFNULL(OLD.amount_cents % 1000000000, 0)
    WHERE stage = OLD.stage AND investment_currency = OLD.investment_currency AND owner_team_id = OLD.owner_team_id
      AND major = IFNULL(OLD.investment_currency = 'CNY' AND OLD.amount_cents >= 100000000000, 0);
    INSERT INTO pipeline_summary (stage, investment_currency, owner_team_id, major, n, amounted, cents_high, cents_low)
    VALUES (NEW.stage, NEW.investment_currency, NEW.owner_team_id,
            IFNULL(NEW.investment_currency = 'CNY' AND NEW.amount_cents >= 100000000000, 0),
            1, NEW.amount_cents IS NOT NULL, IFNULL(NEW.amount_cents / 1000000000, 0), IFNULL(NEW.amount_cents % 1000000000, 0))
    ON CONFLICT (stage, investment_currency, owner_team_id, major) DO UPDATE SET
        n = n + excluded.n, amounted = amounted + excluded.amounted,
        cents_high = cents_high + excluded.cents_high, cents_low = cents_low + excluded.cents_low;
END;

CREATE TRIGGER pipeline_summary_delete AFTER DELETE ON intentions
BEGIN
    UPDATE pipeline_summary SET
        n = n - 1, amounted = amounted - (OLD.amount_cents IS NOT NULL),
        cents_high = cents_high - IFNULL(OLD.amount_cents / 1000000000, 0),
        cents_low = cents_low - IFNULL(OLD.amount_cents % 1000000000, 0)
    WHERE stage = OLD.stage AND investment_currency = OLD.investment_currency AND owner_team_id = OLD.owner_team_id
      AND major = IFNULL(OLD.investment_currency = 'CNY' AND OLD.amount_cents >= 100000000000, 0);
END;
