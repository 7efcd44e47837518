-- The one vocabulary of the stored functions' answers (issue 12): the domain status_word,
-- which every function's status (and an offline conflict's reason) is typed with, so that a
-- misspelt word fails where a function assigns it instead of travelling on to C. Its words are
-- listed once, in sql/functions/0010_status_word.sql (reloaded on every migrate, like the
-- functions); service/db_words.c decodes the same words (scripts/check compares the lists).
-- The functions that answered a status as text are dropped here, once: CREATE OR REPLACE
-- cannot change a result type, so their files (loaded after the migrations) make them again
-- with the new one.
DO $$
BEGIN
    IF to_regtype('status_word') IS NULL THEN
        CREATE DOMAIN status_word AS text;
    END IF;
END;
$$;

DROP FUNCTION IF EXISTS campaign_create(text, text, bigint, bigint, bigint, text, bigint, bigint,
                                        bigint, integer[], bigint, text, boolean, date, numeric,
                                        bigint, integer, text, date, date);
DROP FUNCTION IF EXISTS campaign_lifecycle(bigint, text, text, text);
DROP FUNCTION IF EXISTS campaign_update(bigint, text, bigint, bigint, bigint, numeric, date,
                                        integer, text, text);
DROP FUNCTION IF EXISTS batch_void(bigint, text, text, text);
DROP FUNCTION IF EXISTS coupon_issue_begin(bigint, integer, integer, bigint, text, text);
DROP FUNCTION IF EXISTS coupon_verdict_at(coupons, campaigns, integer, bigint, bigint,
                                          timestamptz);
DROP FUNCTION IF EXISTS coupon_verdict(coupons, campaigns, integer, bigint, bigint);
DROP FUNCTION IF EXISTS redeem(bigint, integer, text, text, bigint, bigint, text, timestamptz);
DROP FUNCTION IF EXISTS coupon_check(bigint, integer, bigint, bigint);
DROP FUNCTION IF EXISTS redemption_void(bigint, integer, text, text);
DROP FUNCTION IF EXISTS card_earn(bigint, integer, text, text, bigint, timestamptz);
DROP FUNCTION IF EXISTS card_burn(bigint, integer, text, text, bigint);
DROP FUNCTION IF EXISTS card_transaction_void(bigint, integer, text, text);
DROP FUNCTION IF EXISTS recipients_prepare(bigint, bigint[]);
DROP FUNCTION IF EXISTS recipients_begin(bigint, bytea, bytea, integer, numeric, integer, text);
DROP FUNCTION IF EXISTS recipients_finish(bigint, bigint, bigint[], text, text);
DROP FUNCTION IF EXISTS code_key_claim(text, integer);
DROP FUNCTION IF EXISTS offline_time_verdict(timestamptz);
DROP FUNCTION IF EXISTS offline_conflict_record(coupons, campaigns, integer, text, text, bigint,
                                                bigint, timestamptz, text);
DROP FUNCTION IF EXISTS offline_conflict_replay(text, text, bigint, bigint, bigint);
