/* The vocabulary's one table: each status word as the stored functions spell it, and the
 * refusal it stands for. scripts/check compares the words with sql/functions/0010_status_word.sql
 * (the domain status_word), so the two lists cannot drift apart. */
#include <string.h>

#include "db_words.h"

static const struct {
    const char *word;
    enum cpn_err err;
} words[DBW__COUNT] = {
    [DBW_NONE] = {"", CPN_ERR_INTERNAL},
    [DBW_OK] = {"ok", CPN_OK},
    [DBW_REPLAY] = {"replay", CPN_OK},
    [DBW_RESUME] = {"resume", CPN_OK},
    [DBW_NOT_FOUND] = {"not_found", CPN_ERR_NOT_FOUND},
    [DBW_CONFLICT] = {"conflict", CPN_ERR_CONFLICT},
    [DBW_VOIDED] = {"voided", CPN_ERR_VOIDED},
    [DBW_NOT_STARTED] = {"not_started", CPN_ERR_NOT_STARTED},
    [DBW_EXPIRED] = {"expired", CPN_ERR_EXPIRED},
    [DBW_WRONG_STORE] = {"wrong_store", CPN_ERR_WRONG_STORE},
    [DBW_CARD_REQUIRED] = {"card_required", CPN_ERR_CARD_REQUIRED},
    [DBW_WRONG_CARD] = {"wrong_card", CPN_ERR_WRONG_CARD},
    [DBW_UNKNOWN_CARD] = {"unknown_card", CPN_ERR_UNKNOWN_CARD},
    [DBW_BELOW_MINIMUM] = {"below_minimum", CPN_ERR_BELOW_MINIMUM},
    [DBW_ALREADY_REDEEMED] = {"already_redeemed", CPN_ERR_ALREADY_REDEEMED},
    [DBW_CAMPAIGN_EXHAUSTED] = {"campaign_exhausted", CPN_ERR_CAMPAIGN_EXHAUSTED},
    [DBW_CAMPAIGN_PAUSED] = {"campaign_paused", CPN_ERR_CAMPAIGN_PAUSED},
    [DBW_VOIDED_BATCH] = {"voided_batch", CPN_ERR_VOIDED_BATCH},
    [DBW_OFFLINE_CONFLICT] = {"offline_conflict", CPN_ERR_OFFLINE_CONFLICT},
    [DBW_OFFLINE_IN_FUTURE] = {"offline_in_future", CPN_ERR_OFFLINE_CONFLICT},
    [DBW_OFFLINE_TOO_OLD] = {"offline_too_old", CPN_ERR_OFFLINE_CONFLICT},
    [DBW_ALREADY_VOIDED] = {"already_voided", CPN_ERR_CONFLICT},
    [DBW_NOT_VOIDABLE] = {"not_voidable", CPN_ERR_CONFLICT},
    [DBW_INSUFFICIENT_POINTS] = {"insufficient_points", CPN_ERR_INSUFFICIENT_POINTS},
    [DBW_VARIANT_NOT_FOUND] = {"variant_not_found", CPN_ERR_BAD_REQUEST},
    [DBW_VARIANT_OF_VARIANT] = {"variant_of_variant", CPN_ERR_BAD_REQUEST},
    [DBW_ENDED] = {"ended", CPN_ERR_CONFLICT},
    [DBW_EARLIER_END] = {"earlier_end", CPN_ERR_BAD_REQUEST},
    [DBW_NO_SERIALS] = {"no_serials", CPN_ERR_NO_SERIALS},
    [DBW_STALE_KEY] = {"stale_key", CPN_ERR_STALE_KEY},
    [DBW_OTHER_LIST] = {"other_list", CPN_ERR_CONFLICT},
    [DBW_DRAW_CHANGED] = {"draw_changed", CPN_ERR_INTERNAL},
    [DBW_MISMATCH] = {"mismatch", CPN_ERR_INTERNAL},
    [DBW_DELETED] = {"deleted", CPN_ERR_CONFLICT},
    [DBW_PRUNED] = {"pruned", CPN_ERR_BAD_REQUEST},
    [DBW_FUTURE] = {"future", CPN_ERR_BAD_REQUEST},
    [DBW_CARD_LIMIT_REACHED] = {"card_limit_reached", CPN_ERR_CARD_LIMIT_REACHED},
    [DBW_CARD_REQUIRED_LIMIT] = {"card_required_limit", CPN_ERR_CARD_REQUIRED},
    [DBW_NOT_COMBINABLE_RECEIPT] = {"not_combinable_receipt", CPN_ERR_NOT_COMBINABLE},
    [DBW_NOT_COMBINABLE_OTHER] = {"not_combinable_other", CPN_ERR_NOT_COMBINABLE},
    [DBW_NOT_COMBINABLE_ALONE] = {"not_combinable_alone", CPN_ERR_NOT_COMBINABLE},
    [DBW_RECEIPT_BASKET] = {"receipt_basket", CPN_ERR_CONFLICT},
    [DBW_BEYOND_BASKET] = {"beyond_basket", CPN_ERR_CONFLICT},
    [DBW_VOIDED_REDEMPTION] = {"voided_redemption", CPN_ERR_CONFLICT},
    [DBW_ALREADY_CREDITED] = {"already_credited", CPN_ERR_ALREADY_CREDITED},
    [DBW_ALREADY_EARNED] = {"already_earned", CPN_ERR_ALREADY_EARNED},
};

int db_word_parse(const char *text, size_t len, enum db_word *out)
{
    *out = DBW_NONE;
    /* ok first: by far the most frequent answer. */
    for (int w = DBW_OK; w < DBW__COUNT; w++) {
        const char *s = words[w].word;
        if (s != NULL && s[0] == text[0] && strlen(s) == len && memcmp(s, text, len) == 0) {
            *out = (enum db_word)w;
            return 0;
        }
    }
    return -1;
}

const char *db_word_name(enum db_word w)
{
    if ((int)w <= DBW_NONE || w >= DBW__COUNT || words[w].word == NULL)
        return "";
    return words[w].word;
}

enum cpn_err db_word_err(enum db_word w)
{
    if ((int)w <= DBW_NONE || w >= DBW__COUNT || words[w].word == NULL)
        return CPN_ERR_INTERNAL;
    return words[w].err;
}
