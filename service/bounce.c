/* Bounce-back coupons: writing next_coupon, and the thread that keeps the pools filled. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "bounce.h"
#include "codes.h"
#include "coupon/rfc3339.h"
#include "db.h"
#include "log.h"

json_t *bounce_json(const struct db_next_coupon *n)
{
    if (n->pool_low)
        bounce_wake();
    if (n->serial <= 0 || n->serial > UINT32_MAX)
        return NULL;
    struct coupon_terms terms = {.campaign = (uint32_t)n->campaign,
                                 .expiry = (uint32_t)n->ends_at,
                                 .offer_kind = codes_offer_kind(n->offer_kind),
                                 .offer_value = (uint32_t)n->offer_value,
                                 .min_basket_cents = (uint32_t)n->min_basket_cents};
    char short_form[CPN_SHORT_LEN + 1], signed_form[CPN_SIGNED_MAX_LEN + 1], until[32];
    enum cpn_err err = codes_coupon_forms((uint32_t)n->serial, &terms, (uint32_t)n->card,
                                          short_form, signed_form, sizeof signed_form);
    if (err != CPN_OK) {
        log_msg(LOGL_ERROR, "bounce-back coupon %" PRId64 ": cannot write its code: %s", n->serial,
                cpn_err_message(err));
        return NULL;
    }
    cpn_rfc3339_format(n->ends_at, until, sizeof until);
    bool multiply = strcmp(n->offer_kind, "points_multiply") == 0;
    return json_pack("{s:s, s:s, s:I, s:s, s:s, s:{s:s, s:I, s:I, s:b}, s:b}", "code", short_form,
                     "signed", signed_form, "campaign_id", (json_int_t)n->campaign, "valid_from",
                     n->issued_at, "valid_until", until, "offer", "kind",
                     multiply ? "points" : n->offer_kind, "value", (json_int_t)n->offer_value,
                     "min_basket_cents", (json_int_t)n->min_basket_cents, "multiply", multiply,
                     "card_bound", n->card != 0);
}

/* A pool fill's transaction: what fill_body works on. */
struct fill {
    int64_t campaign;
    size_t added;
};

/* Reserves a block of serials for the campaign's pool and adds the clean ones, in the open
 * transaction. */
static enum cpn_err fill_body(void *cls)
{
    struct fill *f = cls;
    enum db_word status = DBW_NONE;
    int64_t first = 0;
    int rc = db_bounce_pool_reserve(f->campaign, BOUNCE_POOL_BLOCK, codes_current_mac_id(), &status,
                                    &first);
    if (rc != DB_ONE_RESULT)
        return db_failure_err(rc);
    switch (status) {
    case DBW_OK:
        break;
    case DBW_STALE_KEY:
        return CPN_ERR_STALE_KEY;
    case DBW_NOT_FOUND:
        return CPN_ERR_NOT_FOUND;
    default:
        return CPN_ERR_NO_SERIALS;
    }
    uint32_t serials[BOUNCE_POOL_BLOCK];
    size_t n = 0;
    for (int64_t s = first; s < first + BOUNCE_POOL_BLOCK; s++) {
        char text[CPN_SHORT_LEN + 1];
        bool clean = false;
        enum cpn_err err = codes_short(CPN_KIND_COUPON, (uint32_t)s, text, &clean);
        if (err != CPN_OK)
            return err;
        if (clean)
            serials[n++] = (uint32_t)s;
    }
    if (n > 0) {
        rc = db_bounce_pool_add(f->campaign, first, first + BOUNCE_POOL_BLOCK - 1, serials, n);
        if (rc < 0)
            return db_failure_err(rc);
    }
    f->added = n;
    return CPN_OK;
}

enum cpn_err bounce_pool_fill(int64_t campaign)
{
    struct fill f = {.campaign = campaign};
    enum cpn_err err = db_transaction("bounce-back pool fill", fill_body, &f);
    if (err == CPN_ERR_STALE_KEY)
        log_msg(LOGL_ERROR,
                "MAC key %u is older than a key already in use: restart coupond with the "
                "newest keys before it issues bounce-back coupons",
                codes_current_mac_id());
    else if (err != CPN_OK && err != CPN_ERR_NOT_FOUND)
        log_msg(LOGL_WARN, "bounce-back campaign %" PRId64 ": its pool was not filled: %s",
                campaign, cpn_err_message(err));
    if (err != CPN_OK)
        return err;
    log_msg(LOGL_INFO, "bounce-back campaign %" PRId64 ": %zu serials added to its pool", campaign,
            f.added);
    return CPN_OK;
}

static atomic_bool live = true; /* see bounce_live() */

bool bounce_live(void)
{
    return atomic_load_explicit(&live, memory_order_relaxed);
}

void bounce_set_live(void)
{
    atomic_store(&live, true);
}

/* The pool thread. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_t thread;
static bool running, woken, stopping; /* guarded by lock */

/* Reads whether bounce-back campaigns exist, and fills every pool that runs low, one block
 * each. */
static void fill_low_pools(void)
{
    bool now_live = true;
    if (db_bounce_campaigns_live(&now_live) != DB_ONE_RESULT)
        return; /* live stays as it was */
    atomic_store(&live, now_live);
    int64_t ids[64];
    size_t n = 0;
    if (!now_live || db_bounce_pool_needs(BOUNCE_POOL_LOW, ids, 64, &n) != DB_ONE_RESULT)
        return;
    for (size_t i = 0; i < n; i++)
        if (bounce_pool_fill(ids[i]) != CPN_OK)
            break; /* logged; tried again when woken or in 30 s */
}

static void *pool_loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!stopping) {
        if (!woken) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += BOUNCE_LIVE_PERIOD_S;
            pthread_cond_timedwait(&cond, &lock, &until);
            if (stopping)
                break;
        }
        woken = false;
        pthread_mutex_unlock(&lock);
        fill_low_pools();
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    db_teardown();
    return NULL;
}

enum cpn_err bounce_start(void)
{
    pthread_mutex_lock(&lock);
    stopping = false;
    woken = true; /* look at once */
    running = pthread_create(&thread, NULL, pool_loop, NULL) == 0;
    pthread_mutex_unlock(&lock);
    if (!running)
        log_msg(LOGL_ERROR, "cannot start the bounce-back pool thread");
    return running ? CPN_OK : CPN_ERR_INTERNAL;
}

void bounce_wake(void)
{
    pthread_mutex_lock(&lock);
    woken = true;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
}

void bounce_stop(void)
{
    pthread_mutex_lock(&lock);
    bool was = running;
    running = false;
    stopping = true;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    if (was)
        pthread_join(thread, NULL);
}
