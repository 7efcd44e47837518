/* The service's keyring and key ranges, and both code forms of coupons and cards: reading a
 * code (MAC by the one key that issued its serial, Ed25519 signature of a signed form) and
 * writing a code again exactly as it was issued. A reload replaces the keyring while requests
 * run: each call holds a reference to the keyring it began with (sref.h), so it never reads
 * a freed one nor mixes two; an issue pins one keyring for all of its steps (codes_pin). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "db.h"
#include "db_code_keys.h"
#include "log.h"
#include "sref.h"

/* A keyring in force, shared by reference. */
struct codes_keys {
    struct sref ref; /* first */
    struct cpn_keyring *k;
};

static struct sref_slot keys_slot = SREF_SLOT_INIT;
static _Thread_local struct codes_keys *pinned; /* codes_pin: this thread's calls use these keys */

static void keys_free(struct sref *r)
{
    struct codes_keys *k = (struct codes_keys *)r;
    cpn_keyring_free(k->k);
    free(k);
}

/* The keys this call uses, with a reference (NULL before codes_load). */
static struct codes_keys *keys_hold(void)
{
    if (pinned != NULL)
        return (struct codes_keys *)sref_dup(&pinned->ref);
    return (struct codes_keys *)sref_hold(&keys_slot);
}

static void keys_release(struct codes_keys *k)
{
    sref_release(k != NULL ? &k->ref : NULL);
}

/* The key ranges in force (NULL until first read from the database). Readers hold
 * ranges_lock for reading while they use them; a refresh swaps them under the write lock. */
static pthread_rwlock_t ranges_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct cpn_key_ranges *ranges;

/* Reads the ranges from the database (activating MAC_KEY, the current MAC key of the keys in
 * force) and puts them in force. Returns CPN_OK or the database's error (the ranges in force
 * are kept). */
static enum cpn_err ranges_refresh(unsigned mac_key)
{
    struct cpn_key_ranges *fresh = NULL;
    enum cpn_err err = db_code_keys_load(mac_key, &fresh);
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
static enum cpn_err ranges_hold(const struct codes_keys *k)
{
    pthread_rwlock_rdlock(&ranges_lock);
    if (ranges != NULL)
        return CPN_OK;
    pthread_rwlock_unlock(&ranges_lock);
    enum cpn_err err = ranges_refresh(cpn_keyring_current_mac_id(k->k));
    if (err != CPN_OK)
        return CPN_ERR_UNAVAILABLE;
    pthread_rwlock_rdlock(&ranges_lock);
    return CPN_OK;
}

/* As ranges_hold(), and makes sure the ranges cover SERIAL of KIND (a serial allocated after
 * they were read, perhaps by another coupond, needs them read again). */
static enum cpn_err ranges_hold_for(const struct codes_keys *k, enum cpn_kind kind, uint32_t serial)
{
    enum cpn_err err = ranges_hold(k);
    if (err != CPN_OK || serial < cpn_key_ranges_horizon(ranges, kind))
        return err;
    pthread_rwlock_unlock(&ranges_lock);
    if (ranges_refresh(cpn_keyring_current_mac_id(k->k)) != CPN_OK)
        return CPN_ERR_UNAVAILABLE;
    pthread_rwlock_rdlock(&ranges_lock);
    return CPN_OK;
}

static void ranges_release(void)
{
    pthread_rwlock_unlock(&ranges_lock);
}

/* Reads every key in DIR into a new keyring (*OUT), checking that it can issue. Returns
 * CPN_OK, or an error logged with LEVEL and nothing allocated. */
static enum cpn_err read_dir(const char *dir, enum log_level level, struct cpn_keyring **out)
{
    struct cpn_keyring *k = cpn_keyring_new();
    if (k == NULL)
        return CPN_ERR_NO_MEMORY;
    enum cpn_err err = cpn_keyring_load_dir(k, dir);
    if (err == CPN_OK &&
        (cpn_keyring_current_mac_id(k) == 0 || cpn_keyring_current_sign_id(k) == 0)) {
        log_msg(level, "no signing or MAC key in %s: run 'coupond keygen --keys %s'", dir, dir);
        err = CPN_ERR_UNKNOWN_KEY;
    } else if (err != CPN_OK) {
        log_msg(level, "cannot load keys from %s: %s", dir, cpn_err_message(err));
    }
    if (err != CPN_OK) {
        cpn_keyring_free(k);
        return err;
    }
    *out = k;
    return CPN_OK;
}

/* Puts keyring K in force (taking it over). */
static enum cpn_err install(struct cpn_keyring *k)
{
    struct codes_keys *keys = calloc(1, sizeof *keys);
    if (keys == NULL) {
        cpn_keyring_free(k);
        return CPN_ERR_NO_MEMORY;
    }
    sref_init(&keys->ref, keys_free);
    keys->k = k;
    sref_install(&keys_slot, &keys->ref);
    return CPN_OK;
}

enum cpn_err codes_load(const char *dir)
{
    struct cpn_keyring *k = NULL;
    enum cpn_err err = read_dir(dir, LOGL_ERROR, &k);
    if (err != CPN_OK)
        return err;
    unsigned mac = cpn_keyring_current_mac_id(k);
    log_msg(LOGL_INFO, "keys loaded from %s: signing key %u, MAC key %u", dir,
            cpn_keyring_current_sign_id(k), mac);
    for (unsigned id = 1; id <= CPN_KEY_ID_MAX; id++)
        if (cpn_keyring_is_retired(k, id))
            log_msg(LOGL_INFO, "key %u is retired: its codes are refused", id);
    err = install(k);
    if (err != CPN_OK)
        return err;
    if (ranges_refresh(mac) != CPN_OK)
        log_msg(LOGL_WARN, "code key ranges not read yet; the first code read tries again");
    return CPN_OK;
}

struct codes_staged {
    struct cpn_keyring *k;
    char *dir;
};

/* Why NEW may not replace OLD: a key OLD holds that NEW lacks, or an older issuing key.
 * Returns NULL when it may, else a sentence in WHY. */
static const char *refuse_swap(const struct cpn_keyring *old, const struct cpn_keyring *new,
                               char *why, size_t len)
{
    for (unsigned id = 1; id <= CPN_KEY_ID_MAX; id++) {
        uint8_t pub[CPN_PUBLIC_KEY_BYTES];
        bool had_pub = cpn_keyring_public_key(old, id, pub) == CPN_OK;
        if ((cpn_keyring_has_mac(old, id) && !cpn_keyring_has_mac(new, id)) ||
            (cpn_keyring_has_seed(old, id) && !cpn_keyring_has_seed(new, id)) ||
            (had_pub && cpn_keyring_public_key(new, id, pub) != CPN_OK)) {
            snprintf(why, len,
                     "key %u is gone from the directory: a reload never drops a key (codes "
                     "issued with it would be refused); retire it with a retired-%u file",
                     id, id);
            return why;
        }
    }
    if (cpn_keyring_current_mac_id(new) < cpn_keyring_current_mac_id(old)) {
        snprintf(why, len, "its newest MAC key %u is older than the one in use (%u)",
                 cpn_keyring_current_mac_id(new), cpn_keyring_current_mac_id(old));
        return why;
    }
    return NULL;
}

enum cpn_err codes_stage(const char *dir, struct codes_staged **out)
{
    *out = NULL;
    struct codes_staged *st = calloc(1, sizeof *st);
    if (st == NULL || (st->dir = strdup(dir)) == NULL) {
        free(st);
        return CPN_ERR_NO_MEMORY;
    }
    enum cpn_err err = read_dir(dir, LOGL_ERROR, &st->k);
    struct codes_keys *cur = err == CPN_OK ? keys_hold() : NULL;
    char why[256];
    if (cur != NULL && refuse_swap(cur->k, st->k, why, sizeof why) != NULL) {
        log_msg(LOGL_ERROR, "keys in %s refused: %s", dir, why);
        err = CPN_ERR_CONFLICT;
    }
    keys_release(cur);
    if (err != CPN_OK) {
        codes_discard(st);
        return err;
    }
    *out = st;
    return CPN_OK;
}

void codes_discard(struct codes_staged *st)
{
    if (st == NULL)
        return;
    cpn_keyring_free(st->k);
    free(st->dir);
    free(st);
}

void codes_commit(struct codes_staged *st)
{
    struct codes_keys *cur = keys_hold();
    unsigned old_sign = cur != NULL ? cpn_keyring_current_sign_id(cur->k) : 0;
    unsigned old_mac = cur != NULL ? cpn_keyring_current_mac_id(cur->k) : 0;
    unsigned sign = cpn_keyring_current_sign_id(st->k), mac = cpn_keyring_current_mac_id(st->k);
    for (unsigned id = 1; id <= CPN_KEY_ID_MAX; id++)
        if (cpn_keyring_is_retired(st->k, id) &&
            (cur == NULL || !cpn_keyring_is_retired(cur->k, id)))
            log_msg(LOGL_WARN, "key %u is retired from now on: its codes are refused", id);
    keys_release(cur);
    struct cpn_keyring *k = st->k;
    st->k = NULL;
    if (install(k) != CPN_OK) {
        log_msg(LOGL_ERROR, "out of memory: the keys in force stay");
        codes_discard(st);
        return;
    }
    log_msg(LOGL_INFO, "keys reloaded from %s: signing key %u, MAC key %u (were %u, %u)", st->dir,
            sign, mac, old_sign, old_mac);
    /* New serials are claimed for the new MAC key by their issue (code_key_claim) in any
     * case; reading the ranges now activates it at once and shows a database problem. */
    if (mac != old_mac && ranges_refresh(mac) != CPN_OK)
        log_msg(LOGL_WARN,
                "code key ranges not read again yet; the next issue or code read "
                "activates MAC key %u",
                mac);
    codes_discard(st);
}

void codes_unload(void)
{
    pthread_rwlock_wrlock(&ranges_lock);
    cpn_key_ranges_free(ranges);
    ranges = NULL;
    pthread_rwlock_unlock(&ranges_lock);
    db_code_keys_close();
    sref_install(&keys_slot, NULL);
}

struct codes_keys *codes_keys_hold(void)
{
    return keys_hold();
}

const struct cpn_keyring *codes_keys_ring(const struct codes_keys *k)
{
    return k->k;
}

void codes_keys_release(struct codes_keys *k)
{
    keys_release(k);
}

void codes_pin(void)
{
    if (pinned == NULL)
        pinned = (struct codes_keys *)sref_hold(&keys_slot);
}

void codes_unpin(void)
{
    keys_release(pinned);
    pinned = NULL;
}

void codes_key_ids(unsigned *sign, unsigned *mac, unsigned ids[CPN_KEY_ID_MAX], size_t *n,
                   unsigned retired[CPN_KEY_ID_MAX], size_t *nretired)
{
    struct codes_keys *k = keys_hold();
    *sign = k != NULL ? cpn_keyring_current_sign_id(k->k) : 0;
    *mac = k != NULL ? cpn_keyring_current_mac_id(k->k) : 0;
    *n = k != NULL ? cpn_keyring_public_ids(k->k, ids) : 0;
    *nretired = 0;
    for (unsigned id = 1; k != NULL && id <= CPN_KEY_ID_MAX; id++)
        if (cpn_keyring_is_retired(k->k, id))
            retired[(*nretired)++] = id;
    keys_release(k);
}

/* Checks the short form inside CODE with keys K (ranges held): CPN_OK, or why not. */
static enum cpn_err check_mac(const struct codes_keys *k, const struct cpn_code *code)
{
    enum cpn_err err = ranges_hold(k);
    if (err != CPN_OK)
        return err;
    err = cpn_code_check_mac(k->k, ranges, code);
    ranges_release();
    return err;
}

/* codes_read with the keys K. */
static enum cpn_err read_with(const struct codes_keys *k, const char *text, enum cpn_kind kind,
                              struct cpn_code *out)
{
    enum cpn_err err = cpn_code_parse(text, strlen(text), out);
    if (err == CPN_ERR_BAD_REQUEST)
        err = CPN_ERR_MALFORMED_CODE;
    if (err != CPN_OK)
        return err;
    if (out->kind != kind)
        return CPN_ERR_FORGED_CODE;
    /* The MAC first: it is cheap, and rejects most forgeries before any signature check. */
    enum cpn_err mac = check_mac(k, out);
    if (mac == CPN_ERR_UNAVAILABLE || mac == CPN_ERR_KEY_RETIRED)
        return mac;
    if (!out->is_signed)
        return mac == CPN_OK ? CPN_OK : CPN_ERR_FORGED_CODE;
    /* A signed form holds only if its signature does (whatever the MAC inside says); when the
     * MAC key that made its short form is gone, the signature alone vouches for it. */
    if (mac != CPN_OK && mac != CPN_ERR_UNKNOWN_KEY)
        return CPN_ERR_FORGED_CODE;
    err = cpn_code_verify(k->k, out);
    if (err == CPN_OK || err == CPN_ERR_KEY_RETIRED || err == CPN_ERR_UNKNOWN_KEY)
        return err;
    return CPN_ERR_FORGED_CODE;
}

enum cpn_err codes_read(const char *text, enum cpn_kind kind, struct cpn_code *out)
{
    if (text == NULL)
        return CPN_ERR_MALFORMED_CODE;
    struct codes_keys *k = keys_hold();
    if (k == NULL)
        return CPN_ERR_UNAVAILABLE;
    enum cpn_err err = read_with(k, text, kind, out);
    keys_release(k);
    return err;
}

enum cpn_err codes_claim(enum cpn_kind kind)
{
    bool stale = false;
    unsigned key = codes_current_mac_id();
    int rc = db_code_key_claim(kind == CPN_KIND_CARD ? "card" : "coupon", key, &stale);
    if (rc == DB_SOFT_ERROR)
        return CPN_ERR_UNAVAILABLE;
    if (rc != DB_ONE_RESULT)
        return CPN_ERR_INTERNAL;
    if (stale) {
        log_msg(LOGL_ERROR,
                "MAC key %u is older than a key already in use: add the newest keys to the key "
                "directory and reload (or restart) coupond before issuing",
                key);
        return CPN_ERR_STALE_KEY;
    }
    return CPN_OK;
}

unsigned codes_current_mac_id(void)
{
    struct codes_keys *k = keys_hold();
    unsigned id = k != NULL ? cpn_keyring_current_mac_id(k->k) : 0;
    keys_release(k);
    return id;
}

enum cpn_err codes_short(enum cpn_kind kind, uint32_t serial, char short_out[CPN_SHORT_LEN + 1],
                         bool *clean)
{
    struct codes_keys *k = keys_hold();
    if (k == NULL)
        return CPN_ERR_UNAVAILABLE;
    struct cpn_code code;
    enum cpn_err err = cpn_code_issue(k->k, kind, serial, &code, short_out);
    keys_release(k);
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
static enum cpn_err sign(const struct codes_keys *k, unsigned issuer, struct cpn_code *code,
                         char *signed_out, size_t signed_size)
{
    if (cpn_keyring_has_seed(k->k, issuer) && !cpn_keyring_is_retired(k->k, issuer))
        return cpn_code_sign_as(k->k, issuer, code, signed_out, signed_size, NULL);
    return cpn_code_sign(k->k, code, signed_out, signed_size, NULL);
}

/* Writes SERIAL of KIND again as it was issued: its short form into SHORT_OUT and, with the
 * offer fields of TEMPLATE, its signed form into SIGNED_OUT. */
static enum cpn_err forms(enum cpn_kind kind, uint32_t serial, const struct cpn_code *template,
                          char short_out[CPN_SHORT_LEN + 1], char *signed_out, size_t signed_size)
{
    struct codes_keys *k = keys_hold();
    if (k == NULL)
        return CPN_ERR_UNAVAILABLE;
    enum cpn_err err = ranges_hold_for(k, kind, serial);
    if (err != CPN_OK) {
        keys_release(k);
        return err;
    }
    struct cpn_code code;
    unsigned issuer = cpn_code_issuer_key(k->k, ranges, kind, serial);
    err = cpn_code_derive(k->k, ranges, kind, serial, &code, short_out);
    ranges_release();
    if (err == CPN_OK) {
        code.campaign = template->campaign;
        code.expiry = template->expiry;
        code.offer_kind = template->offer_kind;
        code.offer_value = template->offer_value;
        code.min_basket_cents = template->min_basket_cents;
        code.bound_to_card = template->bound_to_card;
        code.card_serial = template->card_serial;
        err = sign(k, issuer, &code, signed_out, signed_size);
    }
    keys_release(k);
    return err;
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
    struct codes_keys *k = keys_hold();
    if (k == NULL)
        return CPN_ERR_UNAVAILABLE;
    struct cpn_code code;
    enum cpn_err err = cpn_code_issue(k->k, CPN_KIND_CARD, serial, &code, short_out);
    if (err == CPN_OK)
        err = cpn_code_sign(k->k, &code, signed_out, signed_size, NULL);
    keys_release(k);
    return err;
}

enum cpn_err codes_issued_short(enum cpn_kind kind, uint32_t serial,
                                char short_out[CPN_SHORT_LEN + 1])
{
    struct codes_keys *k = keys_hold();
    if (k == NULL)
        return CPN_ERR_UNAVAILABLE;
    enum cpn_err err = ranges_hold_for(k, kind, serial);
    if (err != CPN_OK) {
        keys_release(k);
        return err;
    }
    struct cpn_code code;
    err = cpn_code_derive(k->k, ranges, kind, serial, &code, short_out);
    ranges_release();
    keys_release(k);
    return err;
}
