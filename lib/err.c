/* The error registry: machine code, HTTP status and a sentence for a person,
 * one table, used by the service to answer and by the POS client to read. */
#include <string.h>

#include "coupon/err.h"

struct cpn_err_entry {
    const char *code;
    int status;
    const char *message;
};

static const struct cpn_err_entry registry[CPN_ERR__COUNT] = {
    [CPN_OK] = {"ok", 200, "Done."},
    [CPN_ERR_BAD_REQUEST] = {"bad_request", 400, "The request is not valid."},
    [CPN_ERR_UNAUTHORIZED] = {"unauthorized", 401,
                              "A valid client certificate from the coupond CA is required."},
    [CPN_ERR_CERT_REVOKED] = {"unauthorized", 401, "This client certificate has been revoked."},
    [CPN_ERR_FORBIDDEN] = {"forbidden", 403, "This certificate may not do that."},
    [CPN_ERR_NOT_FOUND] = {"not_found", 404, "There is no such thing here."},
    [CPN_ERR_METHOD_NOT_ALLOWED] = {"method_not_allowed", 405,
                                    "That method is not allowed on this path."},
    [CPN_ERR_PAYLOAD_TOO_LARGE] = {"payload_too_large", 413, "The request body is too large."},
    [CPN_ERR_MALFORMED_CODE] = {"malformed_code", 400,
                                "This is not a coupon code: please scan or type it again."},
    [CPN_ERR_TYPO] = {"malformed_code", 400,
                      "The code has a typo (its check character does not match): "
                      "please type it again."},
    [CPN_ERR_FORGED_CODE] = {"forged_code", 422, "This code was not issued by us."},
    [CPN_ERR_EXPIRED] = {"expired", 422, "This coupon has expired."},
    [CPN_ERR_NOT_STARTED] = {"not_started", 422, "This coupon is not valid yet."},
    [CPN_ERR_ALREADY_REDEEMED] = {"already_redeemed", 409,
                                  "This coupon has already been redeemed."},
    [CPN_ERR_WRONG_STORE] = {"wrong_store", 422, "This coupon is not valid in this store."},
    [CPN_ERR_BELOW_MINIMUM] = {"below_minimum", 422, "The basket is below this coupon's minimum."},
    [CPN_ERR_CAMPAIGN_EXHAUSTED] = {"campaign_exhausted", 409,
                                    "This campaign has no redemptions left."},
    [CPN_ERR_CARD_REQUIRED] = {"card_required", 422,
                               "This coupon only works together with its bonus card."},
    [CPN_ERR_WRONG_CARD] = {"card_required", 422, "This coupon belongs to another bonus card."},
    [CPN_ERR_UNKNOWN_CARD] = {"card_required", 422,
                              "This bonus card is not known here: scan it again, or issue a new "
                              "card."},
    [CPN_ERR_NO_SERIALS] = {"unavailable", 503,
                            "No serial numbers are left for new codes in this installation."},
    [CPN_ERR_INSUFFICIENT_POINTS] = {"insufficient_points", 409,
                                     "The card does not have enough points."},
    [CPN_ERR_CONFLICT] = {"conflict", 409,
                          "This transaction id was already used for a different request."},
    [CPN_ERR_UNKNOWN_KEY] = {"forged_code", 422, "This code was signed with a key we do not know."},
    [CPN_ERR_NO_MEMORY] = {"internal", 500, "The service ran out of memory; please retry."},
    [CPN_ERR_IO] = {"internal", 500, "The service could not read or write a file."},
    [CPN_ERR_UNAVAILABLE] = {"unavailable", 503,
                             "The service is busy or its database is unreachable; please retry."},
    [CPN_ERR_TIMEOUT] = {"timeout", 504, "No answer in time; please retry."},
    [CPN_ERR_INTERNAL] = {"internal", 500, "Something went wrong inside the service."},
    [CPN_ERR_VOIDED] = {"voided", 409,
                        "This transaction was voided since: repeating it books nothing."},
    [CPN_ERR_KEY_RETIRED] = {"forged_code", 422,
                             "This code was issued under a key that has been retired: it is no "
                             "longer valid."},
    [CPN_ERR_STALE_KEY] = {"unavailable", 503,
                           "A newer code key is in use: this coupond must be restarted with it "
                           "before it can issue codes."},
    [CPN_ERR_CAMPAIGN_PAUSED] = {"campaign_paused", 422,
                                 "This campaign is paused: its coupons cannot be used right now."},
    [CPN_ERR_VOIDED_BATCH] = {"voided_batch", 422,
                              "This coupon was withdrawn (its batch was voided) and cannot be "
                              "used."},
    [CPN_ERR_URI_TOO_LONG] = {"uri_too_long", 414,
                              "The address is too long or has too many query parameters."},
    [CPN_ERR_OFFLINE_CONFLICT] = {"offline_conflict", 409,
                                  "This coupon was accepted offline but had already been used: "
                                  "the case is listed for the marketer to decide."},
    [CPN_ERR_CARD_LIMIT_REACHED] = {"card_limit_reached", 409,
                                    "This bonus card has already used this coupon as often as "
                                    "it may."},
    [CPN_ERR_NOT_COMBINABLE] = {"not_combinable", 409,
                                "This coupon cannot be combined with the other coupons on this "
                                "receipt."},
    [CPN_ERR_ALREADY_CREDITED] = {"already_credited", 409,
                                  "The points of this receipt were already credited to a card."},
    [CPN_ERR_ALREADY_EARNED] = {"already_credited", 409,
                                "Points were already earned on this purchase at the till."},
};

static const struct cpn_err_entry *entry(enum cpn_err err)
{
    if ((int)err < 0 || err >= CPN_ERR__COUNT || registry[err].code == NULL)
        return &registry[CPN_ERR_INTERNAL];
    return &registry[err];
}

const char *cpn_err_code(enum cpn_err err)
{
    return entry(err)->code;
}

int cpn_err_http_status(enum cpn_err err)
{
    return entry(err)->status;
}

const char *cpn_err_message(enum cpn_err err)
{
    return entry(err)->message;
}

enum cpn_err cpn_err_from_code(const char *code)
{
    if (code == NULL)
        return CPN_ERR_INTERNAL;
    for (int i = 0; i < CPN_ERR__COUNT; i++)
        if (registry[i].code != NULL && strcmp(registry[i].code, code) == 0)
            return (enum cpn_err)i;
    return CPN_ERR_INTERNAL;
}
