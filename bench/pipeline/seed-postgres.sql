-- The same data as seed-sqlite.sql, in PostgreSQL's dialect.
INSERT INTO teams (id, name, name_key, email, timezone, created_at, updated_at, version) VALUES
 ('7ea30000-0000-4000-8000-000000000001', '招商一处', '招商一处', NULL, 'Asia/Shanghai', '2024-01-01', '2024-01-01', 1),
 ('7ea30000-0000-4000-8000-000000000002', '招商二处', '招商二处', NULL, 'Asia/Shanghai', '2024-01-01', '2024-01-01', 1),
 ('7ea30000-0000-4000-8000-000000000003', '招商三处', '招商三处', NULL, 'Asia/Shanghai', '2024-01-01', '2024-01-01', 1),
 ('7ea30000-0000-4000-8000-000000000004', '招商四处', '招商四处', NULL, 'Asia/Shanghai', '2024-01-01', '2024-01-01', 1),
 ('7ea30000-0000-4000-8000-000000000005', '招商五处', '招商五处', NULL, 'America/Los_Angeles', '2024-01-01', '2024-01-01', 1);
INSERT INTO companies (id, name, name_key, is_target, assessment_score, created_at, updated_at, version)
SELECT 'c0a00000-0000-4000-8000-' || lpad(i::text, 12, '0'), 'Company ' || i, 'company ' || i, i % 10 = 0,
       CASE WHEN i % 60 = 0 THEN 70 END, '2024-01-01', '2024-01-01', 1
FROM generate_series(0, 1999) AS i;
INSERT INTO intentions (id, company_id, project_name, industry_chain, stage, investment_amount, amount_cents,
                        investment_currency, owner_team_id, next_follow_up_on, dropped_reason, created_at, updated_at, version)
SELECT '1a000000-0000-4000-8000-' || lpad(i::text, 12, '0'), 'c0a00000-0000-4000-8000-' || lpad((i % 2000)::text, 12, '0'),
       'Project ' || i,
       CASE i % 3 WHEN 0 THEN '石化新材料' WHEN 1 THEN '电子化学品' ELSE '功能膜材料' END,
       CASE i % 7 WHEN 0 THEN 'lead' WHEN 1 THEN 'assessing' WHEN 2 THEN 'engaged' WHEN 3 THEN 'negotiating'
                  WHEN 4 THEN 'signed' WHEN 5 THEN 'landed' ELSE 'dropped' END,
       ((i % 3000)::bigint * 1000000)::text, (i % 3000)::bigint * 100000000, CASE WHEN i % 10 = 0 THEN 'USD' ELSE 'CNY' END,
       '7ea30000-0000-4000-8000-' || lpad((1 + i % 5)::text, 12, '0'), CURRENT_DATE + ((i * 7) % 360 - 60),
       CASE WHEN i % 7 = 6 THEN 'bench' END,
       TIMESTAMP '2024-01-01' + (i % 50000) * INTERVAL '1 minute', TIMESTAMP '2024-01-01' + (i % 50000) * INTERVAL '1 minute', 1
FROM generate_series(0, 99999) AS i;
-- What autovacuum does soon after a bulk load: statistics and the visibility map that
-- lets the statistics read their covering indexes alone.
VACUUM ANALYZE;
