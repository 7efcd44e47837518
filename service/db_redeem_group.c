/* Group commit: the queue of plain redemptions, the group threads that take what it holds
 * and book it with one statement ("redeem_group", db_statements.c) in one transaction, and
 * the handing back of each answer to its waiting worker (db_redeem_group.h). */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "db_redeem_group.h"
#include "log.h"

/* One redemption waiting for its group; it lives on its worker's stack until DONE. */
struct group_item {
    uint32_t serial;
    int32_t store;
    const char *terminal, *txn;
    int64_t basket;
    uint32_t card;
    int64_t since; /* when it was queued (db_now_ms) */
    bool judged;   /* the group's statement ran and did not book it */
    struct redeem_answer *out;
    int rc;
    bool done;
    pthread_cond_t answered;
    struct group_item *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER; /* the queue has items, or stopping */
static struct group_item *head, *tail;                 /* the queue, oldest first */
static bool stopping;
static unsigned group_max, n_threads;
static pthread_t threads[DB_GROUP_THREADS_MAX];

/* True when an item of G[0..N) has the key (terminal, txn_id) of IT: one statement cannot
 * insert a key twice, so IT waits for the next group. */
static bool key_taken(struct group_item *const *g, size_t n, const struct group_item *it)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(g[k]->txn, it->txn) == 0 && strcmp(g[k]->terminal, it->terminal) == 0)
            return true;
    return false;
}

/* Takes up to group_max items off the queue into G, oldest first, skipping those whose key
 * the group holds already. Returns how many. Call with LOCK held. */
static size_t take(struct group_item **g)
{
    size_t n = 0;
    struct group_item *prev = NULL, *it = head;
    while (it != NULL && n < group_max) {
        struct group_item *next = it->next;
        if (key_taken(g, n, it)) {
            prev = it;
        } else {
            if (prev != NULL)
                prev->next = next;
            else
                head = next;
            if (tail == it)
                tail = prev;
            it->next = NULL;
            g[n++] = it;
        }
        it = next;
    }
    return n;
}

static int by_serial(const void *a, const void *b)
{
    uint32_t x = (*(struct group_item *const *)a)->serial;
    uint32_t y = (*(struct group_item *const *)b)->serial;
    return (x > y) - (x < y);
}

/* The item of G[0..N) with key (TERMINAL, TXN), or NULL. */
static struct group_item *item_of(struct group_item **g, size_t n, const char *terminal,
                                  const char *txn)
{
    for (size_t k = 0; k < n; k++)
        if (g[k]->rc == DB_NO_RESULTS && strcmp(g[k]->txn, txn) == 0 &&
            strcmp(g[k]->terminal, terminal) == 0)
            return g[k];
    return NULL;
}

/* Hands the rows of RES (one per redemption booked) to their items. Returns 0, or -1 when a
 * row cannot be read or belongs to none (logged; the statement committed, so those items
 * answer DB_SOFT_ERROR: a retry under the same key replays). */
static int hand_out(const PGresult *res, struct group_item **g, size_t n)
{
    char terminal[160], txn[80];
    struct redeem_answer a;
    const struct db_col cols[] = {db_col_text("terminal", terminal, sizeof terminal),
                                  db_col_text("txn_id", txn, sizeof txn),
                                  db_col_i64("redemption_id", &a.redemption_id),
                                  db_col_i64("discount_cents", &a.discount_cents),
                                  db_col_i64("campaign_id", &a.campaign_id),
                                  db_col_i64("points", &a.points),
                                  db_col_text("redeemed_at", a.redeemed_at, sizeof a.redeemed_at),
                                  DB_COL_END};
    int idx[DB_COLS_MAX];
    if (db_cols_find(res, cols, idx, "redeem_group") != 0)
        return -1;
    int rows = PQntuples(res);
    for (int row = 0; row < rows; row++) {
        a = (struct redeem_answer){0};
        struct group_item *it = db_cols_read(res, row, cols, idx, "redeem_group") == 0
                                    ? item_of(g, n, terminal, txn)
                                    : NULL;
        if (it == NULL) {
            log_msg(LOGL_ERROR, "redeem_group: row %d answers no redemption of its group", row);
            return -1;
        }
        *it->out = a;
        it->out->status = DBW_OK;
        it->out->redeemed_store = it->store;
        it->rc = DB_ONE_RESULT;
    }
    for (size_t k = 0; k < n; k++)
        g[k]->judged = g[k]->rc == DB_NO_RESULTS;
    return 0;
}

/* Books the group G[0..N) with one statement and sets each item's rc: DB_ONE_RESULT (booked,
 * *out filled), DB_NO_RESULTS (not booked: its worker asks alone) or DB_SOFT_ERROR. */
static void book(struct group_item **g, size_t n)
{
    uint32_t serials[DB_GROUP_MAX], cards[DB_GROUP_MAX];
    int32_t stores[DB_GROUP_MAX];
    int64_t baskets[DB_GROUP_MAX];
    const char *terminals[DB_GROUP_MAX], *txns[DB_GROUP_MAX];
    struct group_item *live[DB_GROUP_MAX];
    /* Coupons locked in serial order, so that two groups cannot wait for each other. */
    qsort(g, n, sizeof *g, by_serial);
    /* Nobody waits longer than the statement deadline from when they were queued: those
     * that did already (the database was late for the groups before) answer 503 unsent. */
    int64_t now = db_now_ms(), limit = (int64_t)db_deadline_ms(), oldest = now;
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        g[k]->rc = DB_SOFT_ERROR;
        if (now - g[k]->since < limit)
            live[m++] = g[k];
    }
    if (m == 0)
        return;
    for (size_t k = 0; k < m; k++) {
        serials[k] = live[k]->serial;
        stores[k] = live[k]->store;
        terminals[k] = live[k]->terminal;
        txns[k] = live[k]->txn;
        baskets[k] = live[k]->basket;
        cards[k] = live[k]->card;
        live[k]->rc = DB_NO_RESULTS;
        if (live[k]->since < oldest)
            oldest = live[k]->since;
    }
    const struct db_param params[] = {db_param_u32_array(serials, m),
                                      db_param_i32_array_if(true, stores, m),
                                      db_param_text_array(terminals, m),
                                      db_param_text_array(txns, m),
                                      db_param_i64_array(baskets, m),
                                      db_param_u32_array(cards, m),
                                      DB_PARAM_END};
    db_deadline_cap(oldest + limit);
    PGresult *res = NULL;
    int rc = db_run("redeem_group", params, &res);
    db_deadline_cap(0);
    if (rc >= 0 && hand_out(res, live, m) != 0) {
        for (size_t k = 0; k < m; k++)
            live[k]->rc = DB_SOFT_ERROR;
    } else if (rc == DB_SOFT_ERROR) { /* lost or late: booked or not, a retry replays */
        for (size_t k = 0; k < m; k++)
            live[k]->rc = DB_SOFT_ERROR;
    } else if (rc == DB_HARD_ERROR && strcmp(db_sqlstate(res), DB_STATE_DECLINED) != 0) {
        /* The statement failed whole and booked nothing; each goes alone (their workers). */
        log_msg(LOGL_WARN, "group of %zu redemptions failed (%s); each is sent alone", m,
                db_sqlstate(res));
    }
    PQclear(res);
}

static void *group_main(void *arg)
{
    (void)arg;
    /* The statement's parameters are arrays: a plan made for each call's values (what
     * PostgreSQL keeps choosing for them) costs twice the statement itself. One generic plan,
     * made once per connection, serves every group (measured: 150 -> 65 us of PostgreSQL's
     * CPU per redemption). */
    db_thread_session("SET plan_cache_mode = force_generic_plan");
    struct group_item *g[DB_GROUP_MAX];
    for (;;) {
        pthread_mutex_lock(&lock);
        while (head == NULL && !stopping)
            pthread_cond_wait(&work, &lock);
        size_t n = take(g);
        pthread_mutex_unlock(&lock);
        if (n == 0)
            break; /* stopping, and the queue is empty */
        book(g, n);
        pthread_mutex_lock(&lock);
        for (size_t k = 0; k < n; k++) {
            g[k]->done = true;
            pthread_cond_signal(&g[k]->answered);
        }
        pthread_mutex_unlock(&lock);
    }
    db_teardown();
    return NULL;
}

enum cpn_err db_group_start(unsigned max, unsigned nthreads)
{
    if (max < 2)
        return CPN_OK;
    group_max = max > DB_GROUP_MAX ? DB_GROUP_MAX : max;
    if (nthreads < 1)
        nthreads = 1;
    if (nthreads > DB_GROUP_THREADS_MAX)
        nthreads = DB_GROUP_THREADS_MAX;
    stopping = false;
    for (n_threads = 0; n_threads < nthreads; n_threads++) {
        if (pthread_create(&threads[n_threads], NULL, group_main, NULL) != 0) {
            log_msg(LOGL_ERROR, "group commit: cannot start a group thread");
            db_group_stop();
            group_max = 0;
            return CPN_ERR_INTERNAL;
        }
    }
    log_msg(LOGL_INFO, "group commit: up to %u redemptions per transaction on %u threads",
            group_max, n_threads);
    return CPN_OK;
}

void db_group_stop(void)
{
    pthread_mutex_lock(&lock);
    stopping = true;
    pthread_cond_broadcast(&work);
    pthread_mutex_unlock(&lock);
    for (unsigned k = 0; k < n_threads; k++)
        pthread_join(threads[k], NULL);
    n_threads = 0;
}

int db_redeem_group(uint32_t serial, int32_t store, const char *terminal, const char *txn,
                    int64_t basket, uint32_t card, struct redeem_answer *out, bool *judged)
{
    *judged = false;
    if (group_max < 2 || n_threads == 0)
        return DB_NO_RESULTS;
    struct group_item it = {.serial = serial,
                            .store = store,
                            .terminal = terminal,
                            .txn = txn,
                            .basket = basket,
                            .card = card,
                            .since = db_now_ms(),
                            .out = out,
                            .rc = DB_NO_RESULTS};
    if (pthread_cond_init(&it.answered, NULL) != 0)
        return DB_NO_RESULTS;
    pthread_mutex_lock(&lock);
    if (stopping) {
        pthread_mutex_unlock(&lock);
        pthread_cond_destroy(&it.answered);
        return DB_NO_RESULTS;
    }
    if (tail != NULL)
        tail->next = &it;
    else
        head = &it;
    tail = &it;
    pthread_cond_signal(&work);
    while (!it.done)
        pthread_cond_wait(&it.answered, &lock);
    pthread_mutex_unlock(&lock);
    pthread_cond_destroy(&it.answered);
    *judged = it.judged;
    return it.rc;
}
