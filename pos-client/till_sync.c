/* Store and forward: sending the calls the till accepted offline, in the order they were
 * accepted, each under its own txn id with its offline time (POST /v1/redemptions or
 * /v1/cards/{card}/earn with offline_at), so the service books each at most once and on the time
 * the customer got it. A journal whose chain does not hold is never sent from: an operator looks
 * at it first. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "till_internal.h"

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
            fprintf(out, "SENT: txn %s (%s, accepted offline %s): %s\n", e->txn_id, what, when,
                    res->line);
        return true;
    }
    if (res->exit == POS_EXIT_REFUSED && res->err == CPN_ERR_OFFLINE_CONFLICT) {
        t->conflicts++;
        fprintf(out,
                "CONFLICT: txn %s (%s, accepted offline %s, %s given): %s The coupon service "
                "did not book it again; the marketer sees it among the offline conflicts.\n",
                e->txn_id, what, when, pos_money_format(e->discount_cents, off), res->line);
        return true;
    }
    if (res->exit == POS_EXIT_REFUSED) {
        t->refused++;
        fprintf(out, "REFUSED: txn %s (%s, accepted offline %s, %s given): %s\n", e->txn_id, what,
                when, pos_money_format(e->discount_cents, off), res->line);
        return true;
    }
    t->waiting++;
    fprintf(out, "NOT SENT: txn %s (%s, accepted offline %s): %s\n", e->txn_id, what, when,
            res->line);
    return res->exit != POS_EXIT_UNAVAILABLE;
}

/* The run of pos_till_sync(), writing to OUT. */
static int sync_all(struct pos_till *till, bool verbose, FILE *out, size_t *sent)
{
    struct pos_journal_state s;
    enum cpn_err err = pos_till_pending(till, &s);
    int rc = POS_EXIT_OK;
    if (err != CPN_OK) {
        fprintf(out, "This till cannot read its journal in %s (%s): please call IT.\n",
                till->cfg->state_dir, err == CPN_ERR_IO ? strerror(errno) : "out of memory");
        rc = POS_EXIT_USAGE;
    } else if (s.damaged) {
        fprintf(out,
                "NOT SENT: this till's journal is damaged: %s Nothing was sent; its entries stay "
                "in %s for IT (pos-client journal shows them).\n",
                s.damage, till->cfg->state_dir);
        rc = POS_EXIT_USAGE;
    } else if (s.n_offline == 0) {
        fprintf(out, "Nothing to sync: no call accepted offline waits.\n");
    }
    if (rc != POS_EXIT_OK || s.n_offline == 0) {
        fflush(out);
        pos_journal_state_free(&s);
        return rc;
    }
    struct tally t = {0};
    size_t tried = 0;
    for (size_t i = 0; i < s.n_pending; i++) {
        const struct pos_journal_entry *e = &s.pending[i];
        if (!e->offline)
            continue;
        struct pos_result res;
        pos_till_retry(till, e, &res);
        tried++;
        bool go_on = report(e, &res, verbose, &t, out);
        fflush(out);
        if (res.exit == POS_EXIT_USAGE && rc == POS_EXIT_OK)
            rc = POS_EXIT_USAGE;
        if (!go_on) {
            rc = POS_EXIT_UNAVAILABLE;
            break;
        }
    }
    *sent = t.booked + t.already + t.conflicts + t.refused;
    size_t left = s.n_offline - *sent;
    fprintf(out,
            "SYNC: %zu of %zu call%s accepted offline reached the coupon service (%zu booked, %zu "
            "booked before, %zu conflict%s, %zu refused); %zu still wait%s.\n",
            *sent, s.n_offline, s.n_offline == 1 ? "" : "s", t.booked, t.already, t.conflicts,
            t.conflicts == 1 ? "" : "s", t.refused, left, left == 1 ? "s" : "");
    if (tried < s.n_offline && left > 0)
        fprintf(out, "Run pos-client sync again when the coupon service answers.\n");
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
