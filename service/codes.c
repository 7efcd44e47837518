/* The service's keyring and key ranges, and both code forms of coupons and cards: reading a
 * code (MAC by the one key that issued its serial, Ed25519 signature of a signed form) and
 * writing a code again exactly as it was issued. */
#include <pthread.h>
#include <string.h>

#include "codes.h"
#include "db.h"
#include "db_code_keys.h"
#include "log.h"

static struct cpn_keyring *keyring;

/* The key ranges in force (NULL until first read from the database). Readers hold
 * ranges_lock for reading while they use them; a refresh swaps them under the write lock. */
static pthread_rwlock_t ranges_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct cpn_key_ranges *ranges;

/* Reads the ranges from the database (activating this coupond's current MAC key) and puts
 * them in force. Returns CPN_OK or the database's error (the ranges in force are kept). */
static enum cpn_err ranges_refresh(void)
{
    struct cpn_key_ranges *fresh = NULL;
    enum cpn_err err = db_code_keys_load(cpn_keyring_current_mac_id(keyring), &fresh);
    if (err != CPN_OK)
        return err;
    pthread_rwlock_wrlock(&ranges_lock);
    struct cpn_key_ranges *old = ranges;
    ranges = fresh;
    pthread_rwlock_unlock(&ranges_lock);
    cpn_key_ranges_free(old);
    return CPN_OK;
}

/* Takes the read lock on ranges that are in force, reading them first if there are none yet
 * (when the database was unreachable at start). Returns CPN_OK with the read lock held, or
 * CPN_ERR_UNAVAILABLE without it. */
static enum cpn_err ranges_hold(void)
{
    pthread_rwlock_rdlock(&ranges_lock);
    if (ranges != NULL)
        return CPN_OK;
    pthread_rwlock_unlock(&ranges_lock);
    enum cpn_err err = ranges_refresh();
    if (err != CPN_OK)
        return CPN_ERR_UNAVAILABLE;
    pthread_rwlock_rdlock(&ranges_lock);
    return CPN_OK;
}

/* As ranges_hold(), and makes sure the ranges cover SERIAL of KIND (a serial allocated after
 * they were read, perhaps by another coupond, needs them read again). */
static enum cpn_err ranges_hold_for(enum cpn_kind kind, uint32_t serial)
{
    enum cpn_err err = ranges_hold();
    if (err != CPN_OK || serial < cpn_key_ranges_horizon(ranges, kind))
        return err;
    pthread_rwlock_unlock(&ranges_lock);
    if (ranges_refresh() != CPN_OK)
        return CPN_ERR_UNAVAILABLE;
    pthread_rwlock_rdlock(&ranges_lock);
    return CPN_OK;
}

static void ranges_release(void)
{
    pthread_rwlock_unlock(&ranges_lock);
}

enum cpn_err codes_load(const char *dir)
{
    struct cpn_keyring *k = cpn_keyring_new();
    if (k == NULL)
        return CPN_ERR_NO_MEMORY;
    enum cpn_err err = cpn_keyring_load_dir(k, dir);
    if (err == CPN_OK &&
        (cpn_keyring_current_mac_id(k) == 0 || cpn_keyring_current_sign_id(k) == 0)) {
        log_msg(LOGL_ERROR, "no signing or MAC key in %s: run 'coupond keygen --keys %s'", dir,
                dir);
        err = CPN_ERR_UNKNOWN_KEY;
    } else if (err != CPN_OK) {
        log_msg(LOGL_ERROR, "cannot load keys from %s: %s", dir, cpn_err_message(err));
    }
    if (err != CPN_OK) {
        cpn_keyring_free(k);
        return err;
    }
    log_msg(LOGL_INFO, "keys loaded from %s: signing key %u, MAC key %u", dir,
            cpn_keyring_current_sign_id(k), cpn_keyring_current_mac_id(k));
    for (unsigned id = 1; id <= CPN_KEY_ID_MAX; id++)
        if (cpn_keyring_is_retired(k, id))
            log_msg(LOGL_INFO, "key %u is retired: its codes are refused", id);
    keyring = k;
    if (ranges_refresh() != CPN_OK)
        log_msg(LOGL_WARN, "code key ranges not read yet; the first code read tries again");
    return CPN_OK;
}

void codes_unload(void)
{
    pthread_rwlock_wrlock(&ranges_lock);
    cpn_key_ranges_free(ranges);
    ranges = NULL;
    pthread_rwlock_unlock(&ranges_lock);
    db_code_keys_close();
    cpn_keyring_free(keyring);
    keyring = NULL;
}

const struct cpn_keyring *codes_keyring(void)
{
    return keyring;
}

/* Checks the short form inside OUT (ranges held): CPN_OK, or why not. */
static enum cpn_err check_mac(const struct cpn_code *code)
{
    enum cpn_err err = ranges_hold();
    if (err != CPN_OK)
        return err;
    err = cpn_code_check_mac(keyring, ranges, code);
    ranges_release();
    return err;
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
    if (out->kind != kind)
        return CPN_ERR_FORGED_CODE;
    /* The MAC first: it is cheap, and rejects most forgeries before any signature check. */
    enum cpn_err mac = check_mac(out);
    if (mac == CPN_ERR_UNAVAILABLE || mac == CPN_ERR_KEY_RETIRED)
        return mac;
    if (!out->is_signed)
        return mac == CPN_OK ? CPN_OK : CPN_ERR_FORGED_CODE;
    /* A signed form holds only if its signature does (whatever the MAC inside says); when the
     * MAC key that made its short form is gone, the signature alone vouches for it. */
    if (mac != CPN_OK && mac != CPN_ERR_UNKNOWN_KEY)
        return CPN_ERR_FORGED_CODE;
    err = cpn_code_verify(keyring, out);
    if (err == CPN_OK || err == CPN_ERR_KEY_RETIRED || err == CPN_ERR_UNKNOWN_KEY)
        return err;
    return CPN_ERR_FORGED_CODE;
}

enum cpn_err codes_claim(enum cpn_kind kind)
{
    bool stale = false;
    unsigned key = cpn_keyring_current_mac_id(keyring);
    int rc = db_code_key_claim(kind == CPN_KIND_CARD ? "card" : "coupon", key, &stale);
    if (rc == DB_SOFT_ERROR)
        return CPN_ERR_UNAVAILABLE;
    if (rc != DB_ONE_RESULT)
        return CPN_ERR_INTERNAL;
    if (stale) {
        log_msg(LOGL_ERROR,
                "MAC key %u is older than a key already in use: restart coupond with "
                "the newest keys before issuing",
                key);
        return CPN_ERR_STALE_KEY;
    }
    return CPN_OK;
}

unsigned codes_current_mac_id(void)
{
    return cpn_keyring_current_mac_id(keyring);
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

/* Signs CODE into SIGNED_OUT with the key that issued its serial when that key still signs
 * (so that the signed form, too, is the one that was issued), else with the current key. */
static enum cpn_err sign(unsigned issuer, struct cpn_code *code, char *signed_out,
                         size_t signed_size)
{
    if (cpn_keyring_has_seed(keyring, issuer) && !cpn_keyring_is_retired(keyring, issuer))
        return cpn_code_sign_as(keyring, issuer, code, signed_out, signed_size, NULL);
    return cpn_code_sign(keyring, code, signed_out, signed_size, NULL);
}

/* Writes SERIAL of KIND again as it was issued: its short form into SHORT_OUT and, with the
 * offer fields of TEMPLATE, its signed form into SIGNED_OUT. */
static enum cpn_err forms(enum cpn_kind kind, uint32_t serial, const struct cpn_code *template,
                          char short_out[CPN_SHORT_LEN + 1], char *signed_out, size_t signed_size)
{
    enum cpn_err err = ranges_hold_for(kind, serial);
    if (err != CPN_OK)
        return err;
    struct cpn_code code;
    unsigned issuer = cpn_code_issuer_key(keyring, ranges, kind, serial);
    err = cpn_code_derive(keyring, ranges, kind, serial, &code, short_out);
    ranges_release();
    if (err != CPN_OK)
        return err;
    code.campaign = template->campaign;
    code.expiry = template->expiry;
    code.offer_kind = template->offer_kind;
    code.offer_value = template->offer_value;
    code.min_basket_cents = template->min_basket_cents;
    code.bound_to_card = template->bound_to_card;
    code.card_serial = template->card_serial;
    return sign(issuer, &code, signed_out, signed_size);
}

enum cpn_err codes_coupon_forms(uint32_t serial, const struct coupon_terms *terms,
                                uint32_t card_serial, char short_out[CPN_SHORT_LEN + 1],
                                char *signed_out, size_t signed_size)
{
    struct cpn_code template = {.campaign = terms->campaign,
                                .expiry = terms->expiry,
                                .offer_kind = terms->offer_kind,
                                .offer_value = terms->offer_value,
                                .min_basket_cents = terms->min_basket_cents,
                                .bound_to_card = card_serial != 0,
                                .card_serial = card_serial};
    return forms(CPN_KIND_COUPON, serial, &template, short_out, signed_out, signed_size);
}

enum cpn_err codes_card_forms(uint32_t serial, char short_out[CPN_SHORT_LEN + 1], char *signed_out,
                              size_t signed_size)
{
    struct cpn_code template = {.offer_kind = CPN_OFFER_NONE};
    return forms(CPN_KIND_CARD, serial, &template, short_out, signed_out, signed_size);
}

enum cpn_err codes_new_card_forms(uint32_t serial, char short_out[CPN_SHORT_LEN + 1],
                                  char *signed_out, size_t signed_size)
{
    struct cpn_code code;
    enum cpn_err err = cpn_code_issue(keyring, CPN_KIND_CARD, serial, &code, short_out);
    if (err != CPN_OK)
        return err;
    return cpn_code_sign(keyring, &code, signed_out, signed_size, NULL);
}

enum cpn_err codes_issued_short(enum cpn_kind kind, uint32_t serial,
                                char short_out[CPN_SHORT_LEN + 1])
{
    enum cpn_err err = ranges_hold_for(kind, serial);
    if (err != CPN_OK)
        return err;
    struct cpn_code code;
    err = cpn_code_derive(keyring, ranges, kind, serial, &code, short_out);
    ranges_release();
    return err;
}
