-- The webhook functions answer a status of the one vocabulary (status_word, issue 12) like
-- every other stored function: they are dropped here, once, because CREATE OR REPLACE cannot
-- change a result type; sql/functions/0820_webhooks.sql (loaded after the migrations) makes
-- them again with the new one.
DROP FUNCTION IF EXISTS webhook_create(text, text[], text, bytea, boolean, text, text);
DROP FUNCTION IF EXISTS webhook_redeliver(bigint, bigint);
