-- 0070: the campaign figures read from the index alone. The report, the campaign's totals (list
-- and get) and the A/B counts read every redemption of a campaign; with the columns they add up
-- in the index, that is an index-only scan of the campaign's entries instead of a visit to a heap
-- page per redemption. Same key as the index it replaces (redemptions_campaign: campaign, time),
-- so the exports and time ranges use it as before, and the redeem path still maintains one index
-- for it (a wider entry: measured in docs/BENCHMARKS.md, "Campaign page").
-- The build locks out writes to redemptions while it runs (a migration runs in a transaction,
-- so not CONCURRENTLY). On a big table, build it first with
--   CREATE INDEX CONCURRENTLY redemptions_campaign_figures ON redemptions ... (as below)
-- and this migration finds it and only drops the old one.
CREATE INDEX IF NOT EXISTS redemptions_campaign_figures ON redemptions (campaign_id, created_at)
    INCLUDE (id, store_id, terminal, receipt, basket_cents, discount_cents);
DROP INDEX IF EXISTS redemptions_campaign;
-- An index-only scan reads the heap for every entry on a page not yet marked all-visible, and a
-- running campaign's redemptions are the newest rows: by default an insert-only table is only
-- vacuumed (which marks its pages) after growing by a fifth, so on a big table they would stay
-- unmarked for weeks (measured: 114 ms of CPU instead of 60 ms for a report of 10^5 fresh
-- redemptions). Vacuum after every 10,000 new redemptions instead: it visits only the new pages
-- (no row is ever updated or deleted), at most once a minute (autovacuum_naptime).
ALTER TABLE redemptions SET (autovacuum_vacuum_insert_threshold = 10000,
                             autovacuum_vacuum_insert_scale_factor = 0);
