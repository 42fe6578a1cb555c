-- 5 teams, 2,000 companies (every 10th a target, every 60th assessed), 100,000 intentions
-- spread over stages, teams, chains, currencies, and follow-up dates from 60 days ago to
-- 300 days ahead (a sixth of the open ones overdue: missed follow-ups are the exception).
INSERT INTO teams (id, name, name_key, email, timezone, created_at, updated_at, version) VALUES
 ('7ea30000-0000-4000-8000-000000000001', '招商一处', '招商一处', NULL, 'Asia/Shanghai', '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1),
 ('7ea30000-0000-4000-8000-000000000002', '招商二处', '招商二处', NULL, 'Asia/Shanghai', '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1),
 ('7ea30000-0000-4000-8000-000000000003', '招商三处', '招商三处', NULL, 'Asia/Shanghai', '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1),
 ('7ea30000-0000-4000-8000-000000000004', '招商四处', '招商四处', NULL, 'Asia/Shanghai', '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1),
 ('7ea30000-0000-4000-8000-000000000005', '招商五处', '招商五处', NULL, 'America/Los_Angeles', '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 1999)
INSERT INTO companies (id, name, name_key, is_target, assessment_score, created_at, updated_at, version)
SELECT printf('c0a00000-0000-4000-8000-%012d', i), 'Company ' || i, 'company ' || i, i % 10 = 0,
       CASE WHEN i % 60 = 0 THEN 70 END, '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1 FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
INSERT INTO intentions (id, company_id, project_name, industry_chain, stage, investment_amount, amount_cents,
                        investment_currency, owner_team_id, next_follow_up_on, dropped_reason, created_at, updated_at, version)
SELECT printf('1a000000-0000-4000-8000-%012d', i), printf('c0a00000-0000-4000-8000-%012d', i % 2000), 'Project ' || i,
       CASE i % 3 WHEN 0 THEN '石化新材料' WHEN 1 THEN '电子化学品' ELSE '功能膜材料' END,
       CASE i % 7 WHEN 0 THEN 'lead' WHEN 1 THEN 'assessing' WHEN 2 THEN 'engaged' WHEN 3 THEN 'negotiating'
                  WHEN 4 THEN 'signed' WHEN 5 THEN 'landed' ELSE 'dropped' END,
       CAST((i % 3000) * 1000000 AS TEXT), (i % 3000) * 100000000, CASE WHEN i % 10 = 0 THEN 'USD' ELSE 'CNY' END,
       printf('7ea30000-0000-4000-8000-%012d', 1 + i % 5), date('now', ((i * 7) % 360 - 60) || ' days'),
       CASE WHEN i % 7 = 6 THEN 'bench' END,
       datetime('2024-01-01', '+' || (i % 50000) || ' minutes'), datetime('2024-01-01', '+' || (i % 50000) || ' minutes'), 1
FROM n;
ANALYZE;
