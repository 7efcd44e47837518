/* The service's keyring, and both code forms of coupons and cards. */
#include <string.h>

#include "codes.h"
#include "log.h"

static struct cpn_keyring *keyring;

enum cpn_err codes_load(const char *dir)
{
    struct cpn_keyring *k = cpn_keyring_new();
    if (k == NULL)
        return CPN_ERR_NO_MEMORY;
    enum cpn_err err = cpn_keyring_load_dir(k, dir);
    if (err == CPN_OK &&
        (cpn_keyring_current_mac_id(k) == 0 || cpn_keyring_current_sign_id(k) == 0)) {
        log_msg(LOG_ERROR, "no signing or MAC key in %s: run 'coupond keygen --keys %s'", dir, dir);
        err = CPN_ERR_UNKNOWN_KEY;
    } else if (err != CPN_OK) {
        log_msg(LOG_ERROR, "cannot load keys from %s: %s", dir, cpn_err_message(err));
    }
    if (err != CPN_OK) {
        cpn_keyring_free(k);
        return err;
    }
    log_msg(LOG_INFO, "keys loaded from %s: signing key %u, MAC key %u", dir,
            cpn_keyring_current_sign_id(k), cpn_keyring_current_mac_id(k));
    keyring = k;
    return CPN_OK;
}

void codes_unload(void)
{
    cpn_keyring_free(keyring);
    keyring = NULL;
}

const struct cpn_keyring *codes_keyring(void)
{
    return keyring;
}

enum cpn_err codes_read(const char *text, enum cpn_kind kind, struct cpn_code *out)
{
    if (text == NULL)
        return CPN_ERR_MALFORMED_CODE;
    enum cpn_err err = cpn_code_parse(text, strlen(text), out);
    if (err == CPN_ERR_BAD_REQUEST)
        err = CPN_ERR_MALFORMED_CODE;
    if (err != CPN_OK)
        return err;
    err = cpn_code_check_mac(keyring, out);
    if (err != CPN_OK)
        return CPN_ERR_FORGED_CODE;
    if (out->kind != kind)
        return CPN_ERR_FORGED_CODE;
    return CPN_OK;
}

enum cpn_err codes_short(enum cpn_kind kind, uint32_t serial, char short_out[CPN_SHORT_LEN + 1],
                         bool *clean)
{
    struct cpn_code code;
    enum cpn_err err = cpn_code_issue(keyring, kind, serial, &code, short_out);
    if (err != CPN_OK)
        return err;
    *clean = cpn_short_is_clean(short_out);
    return CPN_OK;
}

enum cpn_offer_kind codes_offer_kind(const char *name)
{
    if (strcmp(name, "percent") == 0)
        return CPN_OFFER_PERCENT;
    if (strcmp(name, "amount") == 0)
        return CPN_OFFER_AMOUNT;
    if (strcmp(name, "points") == 0)
        return CPN_OFFER_POINTS;
    if (strcmp(name, "points_multiply") == 0)
        return CPN_OFFER_POINTS_MULTIPLY;
    return CPN_OFFER_NONE;
}

enum cpn_err codes_coupon_forms(uint32_t serial, const struct coupon_terms *terms,
                                uint32_t card_serial, char short_out[CPN_SHORT_LEN + 1],
                                char *signed_out, size_t signed_size)
{
    struct cpn_code code;
    enum cpn_err err = cpn_code_issue(keyring, CPN_KIND_COUPON, serial, &code, short_out);
    if (err != CPN_OK)
        return err;
    code.campaign = terms->campaign;
    code.expiry = terms->expiry;
    code.offer_kind = terms->offer_kind;
    code.offer_value = terms->offer_value;
    code.min_basket_cents = terms->min_basket_cents;
    code.bound_to_card = card_serial != 0;
    code.card_serial = card_serial;
    return cpn_code_sign(keyring, &code, signed_out, signed_size, NULL);
}

enum cpn_err codes_card_forms(uint32_t serial, char short_out[CPN_SHORT_LEN + 1], char *signed_out,
                              size_t signed_size)
{
    struct cpn_code code;
    enum cpn_err err = cpn_code_issue(keyring, CPN_KIND_CARD, serial, &code, short_out);
    if (err != CPN_OK)
        return err;
    return cpn_code_sign(keyring, &code, signed_out, signed_size, NULL);
}
