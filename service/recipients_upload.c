/* The upload of a recipient list, in one transaction: prepare (cards known? the draw's key),
 * draw, begin (claim the campaign's list by its digest), issue the mailed cards' coupons
 * (issue_coupons inside the same transaction, under a request key made of the digest), finish
 * (record the held-out cards); commit, or roll all of it back. */
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coupon/hex.h"
#include "db.h"
#include "db_recipients.h"
#include "issue.h"
#include "log.h"
#include "recipients_upload.h"

/* SHA-256 of a domain word, CAMPAIGN, PCT and the N sorted SERIALS (big-endian). */
static void digest(const char *domain, int64_t campaign, int64_t pct, const uint32_t *serials,
                   size_t n, uint8_t out[32])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)domain, strlen(domain) + 1);
    uint8_t head[16];
    for (int i = 0; i < 8; i++) {
        head[i] = (uint8_t)((uint64_t)campaign >> (56 - 8 * i));
        head[8 + i] = (uint8_t)((uint64_t)pct >> (56 - 8 * i));
    }
    crypto_hash_sha256_update(&st, head, sizeof head);
    uint8_t buf[4096];
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        buf[used++] = (uint8_t)(serials[i] >> 24);
        buf[used++] = (uint8_t)(serials[i] >> 16);
        buf[used++] = (uint8_t)(serials[i] >> 8);
        buf[used++] = (uint8_t)serials[i];
        if (used == sizeof buf) {
            crypto_hash_sha256_update(&st, buf, used);
            used = 0;
        }
    }
    crypto_hash_sha256_update(&st, buf, used);
    crypto_hash_sha256_final(&st, out);
}

static bool cancelled(const struct recipients_upload *u)
{
    return u->cancel != NULL && atomic_load(u->cancel);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The draw's part of an upload: the held-out and the mailed cards of the (ascending) list,
 * each ascending, and the digests that identify the list and its draw. */
struct drawn {
    uint32_t *held, *mailed; /* owned */
    size_t n, n_held, n_mailed;
    uint8_t list_digest[32], held_digest[32];
};

static void drawn_clear(struct drawn *d)
{
    free(d->held);
    free(d->mailed);
    memset(d, 0, sizeof *d);
}

/* Draws K cards of the list with KEY and splits the list. Returns CPN_OK or
 * CPN_ERR_NO_MEMORY. */
static enum cpn_err draw(const struct recipients_upload *u, const uint8_t key[16], size_t k,
                         struct drawn *d)
{
    size_t n = u->list->n;
    const uint32_t *cards = u->list->cards;
    memset(d, 0, sizeof *d);
    d->n = n;
    d->held = malloc((k > 0 ? k : 1) * sizeof *d->held);
    d->mailed = malloc((n - k > 0 ? n - k : 1) * sizeof *d->mailed);
    bool *flags = malloc(n * sizeof *flags);
    if (d->held == NULL || d->mailed == NULL || flags == NULL ||
        recipients_draw(key, cards, n, k, flags) != 0) {
        free(flags);
        drawn_clear(d);
        return CPN_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < n; i++) {
        if (flags[i])
            d->held[d->n_held++] = cards[i];
        else
            d->mailed[d->n_mailed++] = cards[i];
    }
    free(flags);
    digest("coupond recipients v1", u->campaign, u->holdout_pct, cards, n, d->list_digest);
    digest("coupond holdout v1", u->campaign, u->holdout_pct, d->held, d->n_held, d->held_digest);
    return CPN_OK;
}

/* Issues one coupon per mailed card in the open transaction, under a request key made of the
 * list's digest. */
static enum cpn_err issue_mailed(const struct recipients_upload *u, const struct drawn *d,
                                 int64_t *batch)
{
    char key[80] = "recipients:";
    cpn_hex_encode(d->list_digest, 16, key + strlen(key));
    struct issue_request req = {.campaign = u->campaign,
                                .count = (int)d->n_mailed,
                                .max_uses = 1,
                                .cards = d->mailed,
                                .request_key = key,
                                .created_by = u->actor,
                                .cancel = u->cancel};
    struct issue_result res;
    enum cpn_err err = issue_coupons(&req, &res);
    if (err == CPN_OK) {
        *batch = res.batch_id;
        issue_result_clear(&res);
    } else if (err == CPN_ERR_CONFLICT) {
        /* The key names this list; another issue under it would be a bug. */
        log_msg(LOGL_ERROR, "recipients of campaign %" PRId64 ": issue key %s used otherwise",
                u->campaign, key);
        err = CPN_ERR_INTERNAL;
    }
    return err;
}

/* When each step of an upload ended (now_s()), for the log. */
struct steps {
    double start, checked, drawn, issued;
};

/* The steps inside the open transaction. Returns CPN_OK (OUT->replay set for the same list
 * again) with D filled, or the refusal. */
static enum cpn_err upload_in_transaction(const struct recipients_upload *u,
                                          struct recipients_result *out, enum db_word *why,
                                          struct drawn *d, struct steps *t)
{
    enum db_word status;
    uint8_t key[16];
    int rc = db_recipients_prepare(u->campaign, u->list->cards, u->list->n, &status, key,
                                   out->unknown, &out->n_unknown);
    t->checked = now_s();
    if (rc != DB_ONE_RESULT)
        return db_failure_err(rc);
    if (status != DBW_OK)
        return db_word_err(status); /* not_found */
    if (out->n_unknown > 0)
        return CPN_ERR_BAD_REQUEST;
    size_t k = recipients_holdout_count(u->list->n, u->holdout_pct);
    enum cpn_err err = draw(u, key, k, d);
    sodium_memzero(key, sizeof key);
    t->drawn = now_s();
    if (err != CPN_OK)
        return err;
    if (cancelled(u))
        return CPN_ERR_UNAVAILABLE;
    struct db_recipients_begin b;
    rc = db_recipients_begin(u->campaign, d->list_digest, d->held_digest, d->n, u->holdout_pct,
                             d->n_held, u->actor, &b);
    if (rc != DB_ONE_RESULT)
        return db_failure_err(rc);
    switch (b.status) {
    case DBW_OK: /* claimed now */
    case DBW_RESUME:
        break;
    case DBW_REPLAY:
        out->replay = true;
        out->batch_id = b.batch_id;
        return CPN_OK;
    case DBW_NOT_FOUND:
        return CPN_ERR_NOT_FOUND;
    case DBW_OTHER_LIST:
    case DBW_ENDED:
        *why = b.status;
        return CPN_ERR_CONFLICT;
    default:
        /* draw_changed: the same list drew other cards, which the draw must never do. */
        log_msg(LOGL_ERROR, "recipients of campaign %" PRId64 ": %s", u->campaign,
                db_word_name(b.status));
        return CPN_ERR_INTERNAL;
    }
    int64_t batch = 0;
    err = d->n_mailed > 0 ? issue_mailed(u, d, &batch) : CPN_OK;
    t->issued = now_s();
    if (err != CPN_OK)
        return err;
    if (cancelled(u))
        return CPN_ERR_UNAVAILABLE;
    rc = db_recipients_finish(u->campaign, batch, d->held, d->n_held, u->actor, u->role, &status);
    if (rc != DB_ONE_RESULT)
        return db_failure_err(rc);
    if (status != DBW_OK) {
        log_msg(LOGL_ERROR, "recipients of campaign %" PRId64 ": finish says %s", u->campaign,
                db_word_name(status));
        return CPN_ERR_INTERNAL;
    }
    out->batch_id = batch;
    return CPN_OK;
}

/* True when the N SERIALS are strictly ascending. */
static bool ascending(const uint32_t *serials, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (serials[i - 1] >= serials[i])
            return false;
    return true;
}

/* An upload's transaction: what upload_in_transaction works on. */
struct upload_tx {
    const struct recipients_upload *u;
    struct recipients_result *out;
    enum db_word *why;
    struct drawn *d;
    struct steps *t;
};

static enum cpn_err upload_body(void *cls)
{
    struct upload_tx *x = cls;
    return upload_in_transaction(x->u, x->out, x->why, x->d, x->t);
}

enum cpn_err recipients_run(const struct recipients_upload *u, struct recipients_result *out,
                            enum db_word *why)
{
    memset(out, 0, sizeof *out);
    *why = DBW_NONE;
    if (!ascending(u->list->cards, u->list->n)) {
        log_msg(LOGL_ERROR, "recipients_run: the list is not ascending");
        return CPN_ERR_INTERNAL;
    }
    if (cancelled(u))
        return CPN_ERR_UNAVAILABLE;
    struct steps t = {.start = now_s()};
    struct drawn d;
    memset(&d, 0, sizeof d);
    struct upload_tx x = {.u = u, .out = out, .why = why, .d = &d, .t = &t};
    enum cpn_err err = db_transaction("a recipient list", upload_body, &x);
    if (err != CPN_OK && cancelled(u))
        err = CPN_ERR_UNAVAILABLE;
    if (err == CPN_OK) {
        out->recipients = (int64_t)d.n;
        out->holdout = (int64_t)d.n_held;
        out->mailed = (int64_t)d.n_mailed;
        out->issued = out->mailed;
        if (!out->replay)
            log_msg(d.n >= 10000 ? LOGL_INFO : LOGL_DEBUG,
                    "recipient list of %zu cards for campaign %" PRId64
                    " in %.2f s (checked %.2f s, drawn %.2f s, issued %.2f s, recorded %.2f s)",
                    d.n, u->campaign, now_s() - t.start, t.checked - t.start, t.drawn - t.checked,
                    t.issued - t.drawn, now_s() - t.issued);
    }
    drawn_clear(&d);
    return err;
}
