/* Group commit of plain redemptions (issue 12's stretch). A durable commit waits for its WAL
 * flush; several tills' redemptions committed as one transaction share one flush, one commit
 * record and one round trip. The group is formed by the callers themselves (leader and
 * followers, no thread of its own): a worker thread with a request becomes the leader when
 * fewer than the allowed groups are in flight and sends everything waiting; otherwise it waits
 * until a leader took and answered its request, or until it may lead. When nothing is in
 * flight a request goes at once, alone, exactly as without grouping: grouping only happens
 * while the database is busy, and adds no waiting of its own.
 * Exactly once stays in the database: the group is one statement (redeem_group_order() and
 * redeem() for each request, sql/functions/0308), so either all of it commits or nothing; a
 * failed group's requests are each sent alone by their own callers. */
#include <pthread.h>
#include <stddef.h>

#include "db.h"
#include "db_redeem_group.h"
#include "db_redeem_one.h"
#include "log.h"

/* One waiting request. */
struct group_item {
    uint32_t serial;
    int32_t store;
    const char *terminal, *txn;
    int64_t basket;
    bool bounce;
    struct redeem_answer *out;
    enum { ITEM_QUEUED, ITEM_TAKEN, ITEM_DONE, ITEM_ALONE } state;
    int rc;
    struct group_item *next;
};

/* The process's group: a queue of waiting requests under one lock. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t done; /* a group ended: answers are in, or a leader may start */
    struct group_item *head, *tail;
    unsigned in_flight;
    unsigned max_group, max_in_flight;
    uint64_t groups, grouped;
} G = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0, 1, 0, 0};

void db_group_configure(unsigned max_group, unsigned in_flight)
{
    pthread_mutex_lock(&G.lock);
    G.max_group = max_group > DB_GROUP_MAX ? DB_GROUP_MAX : max_group;
    G.max_in_flight = in_flight < 1 ? 1 : in_flight;
    pthread_cond_broadcast(&G.done);
    pthread_mutex_unlock(&G.lock);
}

bool db_group_on(void)
{
    pthread_mutex_lock(&G.lock);
    bool on = G.max_group > 1;
    pthread_mutex_unlock(&G.lock);
    return on;
}

void db_group_counts(uint64_t *groups, uint64_t *grouped)
{
    pthread_mutex_lock(&G.lock);
    *groups = G.groups;
    *grouped = G.grouped;
    pthread_mutex_unlock(&G.lock);
}

/* A group's requests and the row being read (redeem_group's answer). */
struct group_run {
    struct group_item **items;
    size_t n;
    int32_t ord;
    struct redeem_answer row;
    bool no_receipt;
    bool answered[DB_GROUP_MAX];
};

/* Copies the row just read to the request at its position. */
static int group_row(void *cls, size_t i)
{
    (void)i;
    struct group_run *g = cls;
    if (g->ord < 1 || (size_t)g->ord > g->n || g->answered[g->ord - 1])
        return -1;
    struct group_item *it = g->items[g->ord - 1];
    *it->out = g->row;
    it->out->on_receipt = !g->no_receipt;
    g->answered[g->ord - 1] = true;
    g->row = (struct redeem_answer){0};
    return 0;
}

/* Sends the N requests at ITEMS as one group on the calling thread's connection, each one's
 * answer into its OUT and RC. Returns DB_ONE_RESULT when each was answered; DB_HARD_ERROR
 * when the group failed as a whole on an error (nothing of it committed: each is to be sent
 * alone); DB_SOFT_ERROR when the database was lost or late (each answers that). Called
 * unlocked. */
static int group_send(struct group_item **items, size_t n)
{
    if (n == 1) {
        struct group_item *it = items[0];
        it->rc = db_redeem_alone(it->serial, it->store, it->terminal, it->txn, it->basket, 0, NULL,
                                 NULL, NULL, it->bounce, it->out);
        return it->rc == DB_SOFT_ERROR ? DB_SOFT_ERROR : DB_ONE_RESULT;
    }
    uint32_t serials[DB_GROUP_MAX];
    int32_t stores[DB_GROUP_MAX], bounce[DB_GROUP_MAX];
    int64_t baskets[DB_GROUP_MAX];
    const char *terminals[DB_GROUP_MAX], *txns[DB_GROUP_MAX];
    for (size_t i = 0; i < n; i++) {
        serials[i] = items[i]->serial;
        stores[i] = items[i]->store;
        terminals[i] = items[i]->terminal;
        txns[i] = items[i]->txn;
        baskets[i] = items[i]->basket;
        bounce[i] = items[i]->bounce ? 1 : 0;
        *items[i]->out = (struct redeem_answer){0};
    }
    const struct db_param params[] = {db_param_u32_array(serials, n),
                                      db_param_i32_array_if(true, stores, n),
                                      db_param_text_array(terminals, n),
                                      db_param_text_array(txns, n),
                                      db_param_i64_array(baskets, n),
                                      db_param_i32_array_if(true, bounce, n),
                                      DB_PARAM_END};
    struct group_run g = {.items = items, .n = n};
    struct db_col cols[DB_REDEEM_NCOLS + 2];
    cols[0] = db_col_i32("ord", &g.ord);
    db_redeem_cols(cols + 1, &g.row, &g.no_receipt);
    int rc = db_select_rows("redeem_group", params, cols, group_row, &g);
    bool all = rc == (int)n;
    for (size_t i = 0; i < n && all; i++)
        all = g.answered[i];
    for (size_t i = 0; i < n; i++)
        items[i]->rc = DB_ONE_RESULT;
    if (all)
        return DB_ONE_RESULT;
    if (rc == DB_SOFT_ERROR) {
        log_msg(LOGL_WARN, "group of %zu redemptions: the database was lost or late", n);
        return DB_SOFT_ERROR;
    }
    log_msg(LOGL_WARN, "group of %zu redemptions failed (%d): each is sent alone", n, rc);
    return DB_HARD_ERROR;
}

/* Ends the group of N requests at ITEMS that group_send answered RC, and when the database
 * was lost or late every request waiting meanwhile too: they have waited for it already, and
 * each answers DB_SOFT_ERROR (503, a till retries) within its deadline instead of waiting for
 * a group of its own. Called locked. */
static void group_end(struct group_item **items, size_t n, int rc)
{
    for (size_t i = 0; i < n; i++) {
        items[i]->state = rc == DB_HARD_ERROR ? ITEM_ALONE : ITEM_DONE;
        if (rc == DB_SOFT_ERROR)
            items[i]->rc = DB_SOFT_ERROR;
    }
    while (rc == DB_SOFT_ERROR && G.head != NULL) {
        struct group_item *it = G.head;
        G.head = it->next;
        *it->out = (struct redeem_answer){0};
        it->rc = DB_SOFT_ERROR;
        it->state = ITEM_DONE;
    }
    if (G.head == NULL)
        G.tail = NULL;
}

/* Takes up to the group's size of the oldest waiting requests into ITEMS. Called locked. */
static size_t group_take(struct group_item **items)
{
    size_t n = 0, cap = G.max_group > 1 ? G.max_group : 1; /* switched off meanwhile: alone */
    while (G.head != NULL && n < cap && n < DB_GROUP_MAX) {
        struct group_item *it = G.head;
        G.head = it->next;
        if (G.head == NULL)
            G.tail = NULL;
        it->state = ITEM_TAKEN;
        items[n++] = it;
    }
    return n;
}

int db_redeem_grouped(uint32_t serial, int32_t store, const char *terminal, const char *txn,
                      int64_t basket, bool bounce, struct redeem_answer *out)
{
    struct group_item me = {.serial = serial,
                            .store = store,
                            .terminal = terminal,
                            .txn = txn,
                            .basket = basket,
                            .bounce = bounce,
                            .out = out,
                            .state = ITEM_QUEUED};
    pthread_mutex_lock(&G.lock);
    if (G.tail != NULL)
        G.tail->next = &me;
    else
        G.head = &me;
    G.tail = &me;
    while (me.state != ITEM_DONE && me.state != ITEM_ALONE) {
        if (me.state == ITEM_QUEUED && G.in_flight < G.max_in_flight) {
            struct group_item *items[DB_GROUP_MAX];
            size_t n = group_take(items);
            G.in_flight++;
            if (n > 1) {
                G.groups++;
                G.grouped += n;
            }
            pthread_mutex_unlock(&G.lock);
            int rc = group_send(items, n);
            pthread_mutex_lock(&G.lock);
            group_end(items, n, rc);
            G.in_flight--;
            pthread_cond_broadcast(&G.done);
        } else {
            pthread_cond_wait(&G.done, &G.lock);
        }
    }
    pthread_mutex_unlock(&G.lock);
    if (me.state == ITEM_ALONE)
        return db_redeem_alone(serial, store, terminal, txn, basket, 0, NULL, NULL, NULL, bounce,
                               out);
    return me.rc;
}
