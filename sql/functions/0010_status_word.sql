-- status_word: the one vocabulary of the stored functions' answers, one word per outcome
-- across coupons, cards, voids, campaigns, issues and recipient lists (the same refusal is
-- the same word everywhere). Every function's status, and an offline conflict's reason, is of
-- this domain, so assigning a word that is not listed here fails at once ("violates check
-- constraint status_word_known") instead of reaching C. service/db_words.c decodes exactly
-- these words into enum db_word (scripts/check compares the two lists); a new word goes into
-- both. The domain is made by migration 0062; its list lives here, set again on every migrate.
ALTER DOMAIN status_word DROP CONSTRAINT IF EXISTS status_word_known;
ALTER DOMAIN status_word ADD CONSTRAINT status_word_known CHECK (VALUE IN (
    -- done
    'ok', 'replay', 'resume',
    -- refusals of every kind of call
    'not_found', 'conflict', 'voided',
    -- coupons (redeem, check)
    'not_started', 'expired', 'wrong_store', 'card_required', 'wrong_card', 'unknown_card',
    'below_minimum', 'already_redeemed', 'campaign_exhausted', 'campaign_paused',
    'voided_batch',
    -- offline acceptance
    'offline_conflict', 'offline_in_future', 'offline_too_old',
    -- voids
    'already_voided', 'not_voidable',
    -- cards
    'insufficient_points',
    -- campaigns and their life cycle
    'variant_not_found', 'variant_of_variant', 'ended', 'earlier_end',
    -- issues
    'no_serials', 'stale_key',
    -- recipient lists
    'other_list', 'draw_changed', 'mismatch',
    -- webhook subscriptions (redelivery)
    'deleted', 'pruned', 'future',
    -- at the counter (issue 17): limits per card, a receipt's coupons, returns, receipt codes
    'card_limit_reached', 'card_required_limit', 'not_combinable_receipt',
    'not_combinable_other', 'not_combinable_alone', 'receipt_basket', 'beyond_basket',
    'voided_redemption', 'already_credited', 'already_earned'
));
