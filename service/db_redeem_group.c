/* Group commit: the queue of plain redemptions and checks, the group threads that take what
 * it holds and book or answer it with one statement ("redeem_group", "check_group";
 * db_statements.c), and the handing back of each answer to its waiting worker
 * (db_redeem_group.h). */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "db_redeem_group.h"
#include "log.h"

/* What a group does: book redemptions, or answer checks (one kind per group). */
enum group_kind { GROUP_REDEEM, GROUP_CHECK };

/* One redemption or check waiting for its group; it lives on its worker's stack, and the
 * group thread touches it no more once it posted ANSWERED. */
struct group_item {
    enum group_kind kind;
    uint32_t serial;
    int32_t store;
    const char *terminal, *txn;
    int64_t basket;
    uint32_t card;
    int64_t since; /* when it was queued (db_now_ms) */
    bool judged;   /* redemption: the group's statement ran and did not book it */
    bool full;     /* check: coupon_check() itself must answer (coupon_check_fast) */
    struct redeem_answer *out;
    int rc;
    sem_t answered; /* posted once its group was answered; the item is the worker's again */
    struct group_item *next;
};

/* One queue per kind, each with threads of its own: redemptions wait for a WAL flush, so
 * several threads overlap their commits; checks commit nothing, and one thread answering
 * whatever queued while it was busy makes the fewest and largest groups (measured: one check
 * thread 34,200 checks/s and 5 us of its CPU per check; two threads shared with redemptions
 * 25,600-28,200/s and 8-9 us, in groups of 2.9). A check never waits behind a commit. */
struct group_queue {
    pthread_mutex_t lock;
    pthread_cond_t work;            /* the queue has items, or stopping */
    struct group_item *head, *tail; /* oldest first */
};

static struct group_queue queues[2] = {
    [GROUP_REDEEM] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL},
    [GROUP_CHECK] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL},
};
static bool stopping; /* written under both queues' locks */
/* What the threads did, by kind (db_group_stats). */
static atomic_ullong n_statements[2], n_items[2], n_failed[2], n_late[2];
static unsigned group_max, n_threads;
static pthread_t threads[DB_GROUP_THREADS_MAX + 1]; /* [0]: checks; the rest: redemptions */

/* True when an item of G[0..N) has the key (terminal, txn_id) of IT: one statement cannot
 * insert a key twice, so IT waits for the next group. */
static bool key_taken(struct group_item *const *g, size_t n, const struct group_item *it)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(g[k]->txn, it->txn) == 0 && strcmp(g[k]->terminal, it->terminal) == 0)
            return true;
    return false;
}

/* Takes up to group_max items off Q into G, oldest first, skipping redemptions whose key the
 * group holds already. Returns how many. Call with Q's lock held. */
static size_t take(struct group_queue *q, struct group_item **g)
{
    size_t n = 0;
    struct group_item *prev = NULL, *it = q->head;
    while (it != NULL && n < group_max) {
        struct group_item *next = it->next;
        if (it->kind == GROUP_REDEEM && key_taken(g, n, it)) {
            prev = it;
        } else {
            if (prev != NULL)
                prev->next = next;
            else
                q->head = next;
            if (q->tail == it)
                q->tail = prev;
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

/* Books the redemptions LIVE[0..M) with one statement and sets each one's rc: DB_ONE_RESULT
 * (booked, *out filled), DB_NO_RESULTS (not booked: its worker asks alone; judged when the
 * statement ran) or DB_SOFT_ERROR. */
static void book_redemptions(struct group_item **live, size_t m)
{
    uint32_t serials[DB_GROUP_MAX], cards[DB_GROUP_MAX];
    int32_t stores[DB_GROUP_MAX];
    int64_t baskets[DB_GROUP_MAX];
    const char *terminals[DB_GROUP_MAX], *txns[DB_GROUP_MAX];
    for (size_t k = 0; k < m; k++) {
        serials[k] = live[k]->serial;
        stores[k] = live[k]->store;
        terminals[k] = live[k]->terminal;
        txns[k] = live[k]->txn;
        baskets[k] = live[k]->basket;
        cards[k] = live[k]->card;
        live[k]->rc = DB_NO_RESULTS;
    }
    const struct db_param params[] = {db_param_u32_array(serials, m),
                                      db_param_i32_array_if(true, stores, m),
                                      db_param_text_array(terminals, m),
                                      db_param_text_array(txns, m),
                                      db_param_i64_array(baskets, m),
                                      db_param_u32_array(cards, m),
                                      DB_PARAM_END};
    PGresult *res = NULL;
    int rc = db_run("redeem_group", params, &res);
    if (rc >= 0 && hand_out(res, live, m) != 0) {
        for (size_t k = 0; k < m; k++)
            live[k]->rc = DB_SOFT_ERROR;
    } else if (rc == DB_SOFT_ERROR) { /* lost or late: booked or not, a retry replays */
        for (size_t k = 0; k < m; k++)
            live[k]->rc = DB_SOFT_ERROR;
    } else if (rc == DB_HARD_ERROR && strcmp(db_sqlstate(res), DB_STATE_DECLINED) != 0) {
        /* The statement failed whole and booked nothing; each goes alone (their workers). */
        atomic_fetch_add(&n_failed[GROUP_REDEEM], 1);
        log_msg(LOGL_WARN, "group of %zu redemptions failed (%s); each is sent alone", m,
                db_sqlstate(res));
    }
    PQclear(res);
}

/* Answers the checks LIVE[0..M) with one statement (coupon_check_fast for each) and sets each
 * one's rc: DB_ONE_RESULT (*out and full filled; no row: not_found), DB_NO_RESULTS (the
 * statement failed: its worker asks alone) or DB_SOFT_ERROR. */
static void answer_checks(struct group_item **live, size_t m)
{
    uint32_t serials[DB_GROUP_MAX], cards[DB_GROUP_MAX];
    int32_t stores[DB_GROUP_MAX];
    int64_t baskets[DB_GROUP_MAX];
    for (size_t k = 0; k < m; k++) {
        serials[k] = live[k]->serial;
        stores[k] = live[k]->store;
        baskets[k] = live[k]->basket;
        cards[k] = live[k]->card;
        live[k]->rc = DB_NO_RESULTS;
    }
    const struct db_param params[] = {
        db_param_u32_array(serials, m), db_param_i32_array_if(true, stores, m),
        db_param_i64_array(baskets, m), db_param_u32_array(cards, m), DB_PARAM_END};
    PGresult *res = NULL;
    int rc = db_run("check_group", params, &res);
    if (rc == DB_HARD_ERROR) /* failed whole: each asks alone */
        atomic_fetch_add(&n_failed[GROUP_CHECK], 1);
    if (rc == DB_SOFT_ERROR) {
        for (size_t k = 0; k < m; k++)
            live[k]->rc = DB_SOFT_ERROR;
    } else if (rc >= 0) {
        int64_t at = 0;
        struct redeem_answer a;
        bool full = false;
        const struct db_col cols[] = {db_col_i64("n", &at),
                                      db_col_word("status", &a.status),
                                      db_col_i64("discount_cents", &a.discount_cents),
                                      db_col_i64("campaign_id", &a.campaign_id),
                                      db_col_i64("points", &a.points),
                                      db_col_bool("full_check", &full),
                                      DB_COL_END};
        int idx[DB_COLS_MAX];
        bool ok = db_cols_find(res, cols, idx, "check_group") == 0;
        for (int row = 0; ok && row < rc; row++) {
            a = (struct redeem_answer){0};
            ok = db_cols_read(res, row, cols, idx, "check_group") == 0 && at >= 1 &&
                 (size_t)at <= m && live[at - 1]->rc == DB_NO_RESULTS;
            if (ok) {
                *live[at - 1]->out = a;
                live[at - 1]->full = full;
                live[at - 1]->rc = DB_ONE_RESULT;
            }
        }
        for (size_t k = 0; k < m; k++) {
            if (!ok) {
                live[k]->rc = DB_NO_RESULTS;           /* a row it cannot place: each asks alone */
            } else if (live[k]->rc == DB_NO_RESULTS) { /* no such coupon */
                *live[k]->out = (struct redeem_answer){.status = DBW_NOT_FOUND};
                live[k]->full = false;
                live[k]->rc = DB_ONE_RESULT;
            }
        }
    }
    PQclear(res);
}

/* Books or answers the group G[0..N) with one statement and sets each item's rc. */
static void book(struct group_item **g, size_t n)
{
    struct group_item *live[DB_GROUP_MAX];
    /* Coupons locked in serial order, so that two groups cannot wait for each other. */
    qsort(g, n, sizeof *g, by_serial);
    /* Nobody waits longer than the statement deadline from when they were queued: those
     * that did already (the database was late for the groups before) answer 503 unsent. */
    int64_t now = db_now_ms(), limit = (int64_t)db_deadline_ms(), oldest = now;
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        g[k]->rc = DB_SOFT_ERROR;
        if (now - g[k]->since < limit) {
            live[m++] = g[k];
            if (g[k]->since < oldest)
                oldest = g[k]->since;
        }
    }
    enum group_kind kind = g[0]->kind;
    atomic_fetch_add(&n_late[kind], n - m);
    if (m == 0)
        return;
    atomic_fetch_add(&n_statements[kind], 1);
    atomic_fetch_add(&n_items[kind], m);
    log_msg(LOGL_DEBUG, "grouped: %zu %s in one statement", m,
            live[0]->kind == GROUP_REDEEM ? "redemptions" : "checks");
    db_deadline_cap(oldest + limit);
    if (live[0]->kind == GROUP_REDEEM)
        book_redemptions(live, m);
    else
        answer_checks(live, m);
    db_deadline_cap(0);
}

/* A group thread: answers the groups of the queue ARG points to until stopping. */
static void *group_main(void *arg)
{
    struct group_queue *q = arg;
    /* The statement's parameters are arrays: a plan made for each call's values (what
     * PostgreSQL keeps choosing for them) costs twice the statement itself. One generic plan,
     * made once per connection, serves every group (measured: 150 -> 65 us of PostgreSQL's
     * CPU per redemption). */
    db_thread_session("SET plan_cache_mode = force_generic_plan");
    struct group_item *g[DB_GROUP_MAX];
    for (;;) {
        pthread_mutex_lock(&q->lock);
        while (q->head == NULL && !stopping)
            pthread_cond_wait(&q->work, &q->lock);
        size_t n = take(q, g);
        pthread_mutex_unlock(&q->lock);
        if (n == 0)
            break; /* stopping, and the queue is empty */
        book(g, n);
        /* No lock: each worker waits on its own semaphore, which publishes rc and *out. After
         * the post the item may be gone (it lives on its worker's stack). */
        for (size_t k = 0; k < n; k++)
            sem_post(&g[k]->answered);
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
    for (n_threads = 0; n_threads < nthreads + 1; n_threads++) {
        struct group_queue *q = &queues[n_threads == 0 ? GROUP_CHECK : GROUP_REDEEM];
        if (pthread_create(&threads[n_threads], NULL, group_main, q) != 0) {
            log_msg(LOGL_ERROR, "group commit: cannot start a group thread");
            db_group_stop();
            group_max = 0;
            return CPN_ERR_INTERNAL;
        }
    }
    log_msg(LOGL_INFO,
            "group commit: up to %u redemptions per statement on %u threads, as many checks "
            "on one",
            group_max, n_threads - 1);
    return CPN_OK;
}

void db_group_stop(void)
{
    for (size_t k = 0; k < sizeof queues / sizeof queues[0]; k++)
        pthread_mutex_lock(&queues[k].lock);
    stopping = true;
    for (size_t k = 0; k < sizeof queues / sizeof queues[0]; k++) {
        pthread_cond_broadcast(&queues[k].work);
        pthread_mutex_unlock(&queues[k].lock);
    }
    for (unsigned k = 0; k < n_threads; k++)
        pthread_join(threads[k], NULL);
    n_threads = 0;
}

/* Queues IT (its fields set) and waits until a group thread answered it. Returns its rc, or
 * DB_NO_RESULTS (nothing sent) when group commit is off or stopping. */
static int run_in_group(struct group_item *it)
{
    if (group_max < 2 || n_threads == 0)
        return DB_NO_RESULTS;
    it->since = db_now_ms();
    it->rc = DB_NO_RESULTS;
    if (sem_init(&it->answered, 0, 0) != 0)
        return DB_NO_RESULTS;
    struct group_queue *q = &queues[it->kind];
    pthread_mutex_lock(&q->lock);
    if (stopping) {
        pthread_mutex_unlock(&q->lock);
        sem_destroy(&it->answered);
        return DB_NO_RESULTS;
    }
    if (q->tail != NULL)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    pthread_cond_signal(&q->work);
    pthread_mutex_unlock(&q->lock);
    while (sem_wait(&it->answered) != 0 && errno == EINTR)
        ;
    sem_destroy(&it->answered);
    return it->rc;
}

int db_redeem_group(uint32_t serial, int32_t store, const char *terminal, const char *txn,
                    int64_t basket, uint32_t card, struct redeem_answer *out, bool *judged)
{
    struct group_item it = {.kind = GROUP_REDEEM,
                            .serial = serial,
                            .store = store,
                            .terminal = terminal,
                            .txn = txn,
                            .basket = basket,
                            .card = card,
                            .out = out};
    int rc = run_in_group(&it);
    *judged = rc == DB_NO_RESULTS && it.judged;
    return rc;
}

int db_check_group(uint32_t serial, int32_t store, int64_t basket, uint32_t card,
                   struct redeem_answer *out, bool *full)
{
    struct group_item it = {.kind = GROUP_CHECK,
                            .serial = serial,
                            .store = store,
                            .basket = basket,
                            .card = card,
                            .out = out};
    int rc = run_in_group(&it);
    *full = rc == DB_ONE_RESULT && it.full;
    return rc;
}

void db_group_stats(struct db_group_stats *redeem, struct db_group_stats *check)
{
    struct db_group_stats *out[2] = {[GROUP_REDEEM] = redeem, [GROUP_CHECK] = check};
    for (int k = 0; k < 2; k++)
        *out[k] = (struct db_group_stats){atomic_load(&n_statements[k]), atomic_load(&n_items[k]),
                                          atomic_load(&n_failed[k]), atomic_load(&n_late[k])};
}
