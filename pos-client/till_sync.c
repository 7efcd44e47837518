/* Store and forward: sending the calls the till accepted offline, in the order they were
 * accepted, each under its own txn id with its offline time (POST /v1/redemptions or
 * /v1/cards/{card}/earn with offline_at), so the service books each at most once and on the time
 * the customer got it. A journal whose chain does not hold is never sent from: an operator looks
 * at it first. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pos/i18n.h"
#include "pos/money.h"
#include "pos/till_internal.h"

/* What the syncs of one run came to. */
struct tally {
    size_t booked, already, conflicts, refused, waiting;
};

/* Writes the line for entry E sent with result RES to OUT: always for a conflict, a refusal or a
 * failure; for one that went through only when VERBOSE. Counts it in T. Returns false when the
 * run should stop (the service still cannot be reached). */
static bool report(const struct pos_journal_entry *e, const struct pos_result *res, bool verbose,
                   struct tally *t, FILE *out)
{
    char what[160], when[64], off[POS_MONEY_SIZE];
    pos_till_describe_entry(e, what, sizeof what);
    (void)pos_till_local_time(e->offline_at, when, sizeof when);
    if (res->exit == POS_EXIT_OK) {
        if (res->replayed)
            t->already++;
        else
            t->booked++;
        if (verbose)
            fprintf(out, _("SENT: txn %s (%s, accepted offline %s): %s\n"), e->txn_id, what, when,
                    res->line);
        return true;
    }
    if (res->exit == POS_EXIT_REFUSED && res->err == CPN_ERR_OFFLINE_CONFLICT) {
        t->conflicts++;
        fprintf(out,
                _("CONFLICT: txn %s (%s, accepted offline %s, %s given): %s The coupon service "
                  "did not book it again; the marketer sees it among the offline conflicts.\n"),
                e->txn_id, what, when, pos_money_format(e->discount_cents, off), res->line);
        return true;
    }
    if (res->exit == POS_EXIT_REFUSED) {
        t->refused++;
        fprintf(out, _("REFUSED: txn %s (%s, accepted offline %s, %s given): %s\n"), e->txn_id,
                what, when, pos_money_format(e->discount_cents, off), res->line);
        return true;
    }
    t->waiting++;
    fprintf(out, _("NOT SENT: txn %s (%s, accepted offline %s): %s\n"), e->txn_id, what, when,
            res->line);
    return res->exit != POS_EXIT_UNAVAILABLE;
}

/* Most lanes (connections) a sync sends on at once, and how many calls make a lane worth it:
 * each call waits for the service's durable commit, so a few in flight at a time send a long
 * queue several times faster; a short one goes on one lane, strictly in order. */
#define SYNC_LANES          4
#define SYNC_CALLS_PER_LANE 16

/* One lane of a sync: its own till (and connection), every LANES-th call from FIRST. */
struct lane {
    struct pos_till *till;
    const struct pos_journal_entry *const *todo;
    struct pos_result *results;
    bool *done;
    size_t first, n, lanes;
    atomic_bool *stop; /* set by a lane that found the service unreachable */
    pthread_t thread;
};

/* Sends the lane's calls in order until they are done or a lane finds the service unreachable
 * (or its answer unusable): the rest wait for the next sync. */
static void *run_lane(void *arg)
{
    struct lane *l = arg;
    for (size_t i = l->first; i < l->n && !atomic_load(l->stop); i += l->lanes) {
        pos_till_retry(l->till, l->todo[i], &l->results[i]);
        l->done[i] = true;
        if (l->results[i].exit == POS_EXIT_UNAVAILABLE || l->results[i].pending)
            atomic_store(l->stop, true);
    }
    return NULL;
}

/* Sends the N calls in the array todo (entries accepted offline, in the order accepted), each with
 * pos_till_retry(), into RESULTS and DONE: the first on TILL (when the service is down, that is
 * all), then the rest in order on one lane, or on up to SYNC_LANES lanes of their own for a long
 * queue. */
static void send_all(struct pos_till *till, const struct pos_journal_entry *const *todo, size_t n,
                     struct pos_result *results, bool *done)
{
    if (n == 0)
        return;
    pos_till_retry(till, todo[0], &results[0]);
    done[0] = true;
    if (results[0].exit == POS_EXIT_UNAVAILABLE || results[0].pending)
        return;
    size_t lanes = (n - 1) / SYNC_CALLS_PER_LANE;
    lanes = lanes > SYNC_LANES ? SYNC_LANES : lanes;
    atomic_bool stop = false;
    struct lane l[SYNC_LANES];
    size_t started = 0;
    for (size_t k = 0; k < lanes; k++) {
        struct pos_api *api = pos_api_new(till->cfg);
        l[k] = (struct lane){.till = api != NULL ? pos_till_new(till->cfg, api, false) : NULL,
                             .todo = todo,
                             .results = results,
                             .done = done,
                             .first = 1 + k,
                             .n = n,
                             .lanes = lanes,
                             .stop = &stop};
        if (l[k].till != NULL)
            l[k].till->batch = true;
        if (l[k].till == NULL || pthread_create(&l[k].thread, NULL, run_lane, &l[k]) != 0) {
            pos_till_free(l[k].till);
            pos_api_free(api);
            break;
        }
        started++;
    }
    if (started < lanes) {
        /* Out of memory or threads: what the lanes that run do not send goes on one lane. */
        atomic_store(&stop, true);
    }
    for (size_t k = 0; k < started; k++) {
        pthread_join(l[k].thread, NULL);
        struct pos_api *api = l[k].till->api;
        pos_till_free(l[k].till);
        pos_api_free(api);
    }
    if (started == lanes && lanes > 0)
        return;
    for (size_t i = 1; i < n; i++) {
        if (done[i])
            continue;
        pos_till_retry(till, todo[i], &results[i]);
        done[i] = true;
        if (results[i].exit == POS_EXIT_UNAVAILABLE || results[i].pending)
            return;
    }
}

/* Writes the run's summary to OUT: SENT of the N_OFFLINE calls reached the service (T tells
 * how); when fewer than all were TRIED and some still wait, to run sync again. */
static void write_summary(FILE *out, const struct tally *t, size_t n_offline, size_t sent,
                          size_t tried)
{
    size_t left = n_offline - sent;
    /* One sentence in three parts, each with its own plural. */
    char calls[160], conflicts[64], waits[64];
    snprintf(calls, sizeof calls,
             P_("%zu of %zu call accepted offline reached the coupon service",
                "%zu of %zu calls accepted offline reached the coupon service", n_offline),
             sent, n_offline);
    snprintf(conflicts, sizeof conflicts, P_("%zu conflict", "%zu conflicts", t->conflicts),
             t->conflicts);
    snprintf(waits, sizeof waits, P_("%zu still waits", "%zu still wait", left), left);
    /* TRANSLATORS: "SYNC: 5 of 5 calls accepted offline reached the coupon service (5 booked, 0
       booked before, 0 conflicts, 0 refused); 0 still wait." */
    fprintf(out, _("SYNC: %s (%zu booked, %zu booked before, %s, %zu refused); %s.\n"), calls,
            t->booked, t->already, conflicts, t->refused, waits);
    if (tried < n_offline && left > 0)
        fprintf(out, "%s", _("Run pos-client sync again when the coupon service answers.\n"));
}

/* The run of pos_till_sync(), writing to OUT. */
static int sync_all(struct pos_till *till, bool verbose, FILE *out, size_t *sent)
{
    struct pos_journal_state s;
    enum cpn_err err = pos_till_pending(till, &s);
    int rc = POS_EXIT_OK;
    if (err != CPN_OK) {
        fprintf(out, _("This till cannot read its journal in %s (%s): please call IT.\n"),
                till->cfg->state_dir, err == CPN_ERR_IO ? strerror(errno) : _("out of memory"));
        rc = POS_EXIT_USAGE;
    } else if (s.damaged) {
        fprintf(out,
                _("NOT SENT: this till's journal is damaged: %s Nothing was sent; its entries "
                  "stay in %s for IT (pos-client journal shows them).\n"),
                s.damage, till->cfg->state_dir);
        rc = POS_EXIT_USAGE;
    } else if (s.n_offline == 0) {
        fprintf(out, "%s", _("Nothing to sync: no call accepted offline waits.\n"));
    }
    if (rc != POS_EXIT_OK || s.n_offline == 0) {
        fflush(out);
        pos_journal_state_free(&s);
        return rc;
    }
    struct tally t = {0};
    size_t tried = 0;
    const struct pos_journal_entry **todo = calloc(s.n_offline, sizeof *todo);
    struct pos_result *results = calloc(s.n_offline, sizeof *results);
    bool *done = calloc(s.n_offline, sizeof *done);
    if (todo == NULL || results == NULL || done == NULL) {
        free(todo);
        free(results);
        free(done);
        pos_journal_state_free(&s);
        fprintf(out, "%s", _("pos-client: out of memory\n"));
        return POS_EXIT_UNAVAILABLE;
    }
    size_t n = 0;
    for (size_t i = 0; i < s.n_pending; i++)
        if (s.pending[i].offline)
            todo[n++] = &s.pending[i];
    till->batch = true;
    send_all(till, todo, n, results, done);
    for (size_t i = 0; i < n; i++) {
        if (!done[i])
            continue;
        tried++;
        if (!report(todo[i], &results[i], verbose, &t, out))
            rc = POS_EXIT_UNAVAILABLE;
        else if (results[i].exit == POS_EXIT_USAGE && rc == POS_EXIT_OK)
            rc = POS_EXIT_USAGE;
        fflush(out);
    }
    free(todo);
    free(results);
    free(done);
    till->batch = false;
    const char *dir = till->cfg->state_dir;
    if (pos_journal_flush(dir) != CPN_OK ||
        pos_journal_compact(dir, till->cfg->journal_max_bytes, NULL) != CPN_OK)
        fprintf(out, _("pos-client: the journal could not be flushed or compacted in %s: %s\n"),
                dir, strerror(errno));
    *sent = t.booked + t.already + t.conflicts + t.refused;
    write_summary(out, &t, s.n_offline, *sent, tried);
    fflush(out);
    pos_journal_state_free(&s);
    return rc;
}

int pos_till_sync(struct pos_till *till, bool verbose, bool quiet, FILE *out, size_t *sent)
{
    size_t dummy;
    if (sent == NULL)
        sent = &dummy;
    *sent = 0;
    if (!quiet)
        return sync_all(till, verbose, out, sent);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL)
        return POS_EXIT_UNAVAILABLE;
    int rc = sync_all(till, verbose, mem, sent);
    fclose(mem);
    if (*sent > 0 && text != NULL) {
        fwrite(text, 1, len, out);
        fflush(out);
    }
    free(text);
    return rc;
}
