/* pos-client's commands on the till's journal: pending, retry, sync, closing and journal. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pos/i18n.h"
#include "pos/main_cmd.h"
#include "pos/main_journal.h"

int pos_cmd_retry(struct ctx *ctx, int argc, char **argv)
{
    struct args a;
    if (!pos_main_parse_args(argv[0], argc, argv, "", 1, &a))
        return POS_EXIT_USAGE;
    const char *only = a.n_pos == 1 ? a.pos[0] : NULL;
    if (only != NULL && !pos_journal_txn_id_valid(only)) {
        fprintf(stderr,
                _("pos-client retry: a txn id is 1 to %d letters, digits, '_' or '-', not "
                  "'%.80s'\n"),
                POS_TXN_ID_MAX, only);
        return POS_EXIT_USAGE;
    }
    int rc = pos_till_retry_all(ctx->till, only, ctx->verbose, stdout);
    pos_till_refresh_keys(ctx->till);
    return rc;
}

int pos_cmd_sync(struct ctx *ctx, int argc, char **argv)
{
    if (!pos_main_no_arguments(argv[0], argc))
        return POS_EXIT_USAGE;
    int rc = pos_till_sync(ctx->till, ctx->verbose, false, stdout, NULL);
    pos_till_refresh_keys(ctx->till);
    return rc;
}

int pos_cmd_closing(struct ctx *ctx, int argc, char **argv)
{
    struct args a;
    if (!pos_main_parse_args(argv[0], argc, argv, "", 1, &a))
        return POS_EXIT_USAGE;
    return pos_till_closing(ctx->till, a.n_pos == 1 ? a.pos[0] : NULL, ctx->verbose, stdout);
}

/* Reads the journal into *S for a command, saying on standard error when it cannot. Returns
 * false then (the caller frees *S either way). */
static bool read_journal(const struct ctx *ctx, struct pos_journal_state *s)
{
    if (pos_till_pending(ctx->till, s) == CPN_OK)
        return true;
    fprintf(stderr, _("pos-client: this till cannot read its journal in %s: %s\n"),
            ctx->cfg->state_dir, strerror(errno));
    return false;
}

int pos_cmd_journal(struct ctx *ctx, int argc, char **argv)
{
    if (!pos_main_no_arguments(argv[0], argc))
        return POS_EXIT_USAGE;
    struct pos_journal_state s;
    if (!read_journal(ctx, &s)) {
        pos_journal_state_free(&s);
        return POS_EXIT_USAGE;
    }
    int rc = POS_EXIT_OK;
    if (s.damaged) {
        printf(_("DAMAGED: %s Nothing is sent from it (pos-client sync refuses) until IT has "
                 "looked at %s/journal.log.\n"),
               s.damage, ctx->cfg->state_dir);
        rc = POS_EXIT_USAGE;
    } else if (s.chained) {
        printf(_("The journal's SHA-256 chain holds: entries n=%llu to n=%llu of generation "
                 "%llu.\n"),
               (unsigned long long)s.first_seq, (unsigned long long)s.last_seq,
               (unsigned long long)s.generation);
    } else {
        printf(_("The journal is of version %u, without a chain (it is rotated out on the next "
                 "write).\n"),
               s.version);
    }
    size_t unanswered = s.n_pending - s.n_offline;
    char offline[160];
    snprintf(offline, sizeof offline,
             P_("%zu call accepted offline waits for pos-client sync",
                "%zu calls accepted offline wait for pos-client sync", s.n_offline),
             s.n_offline);
    printf(P_("%s; %zu transaction got no answer (pos-client retry).\n",
              "%s; %zu transactions got no answer (pos-client retry).\n", unanswered),
           offline, unanswered);
    pos_journal_state_free(&s);
    return rc;
}

int pos_cmd_pending(struct ctx *ctx, int argc, char **argv)
{
    if (!pos_main_no_arguments(argv[0], argc))
        return POS_EXIT_USAGE;
    struct pos_journal_state s;
    if (!read_journal(ctx, &s)) {
        pos_journal_state_free(&s);
        return POS_EXIT_USAGE;
    }
    for (size_t i = 0; i < s.n_pending; i++) {
        char what[160], when[64];
        const struct pos_journal_entry *e = &s.pending[i];
        (void)pos_till_local_time(e->offline ? e->offline_at : e->time, when, sizeof when);
        if (e->offline)
            printf(_("OFFLINE: txn %s: %s, accepted offline %s\n"), e->txn_id,
                   pos_till_describe_entry(e, what, sizeof what), when);
        else
            printf(_("PENDING: txn %s: %s, begun %s\n"), e->txn_id,
                   pos_till_describe_entry(e, what, sizeof what), when);
    }
    size_t n = s.n_pending - s.n_offline;
    if (n == 0)
        printf("%s", _("Nothing pending: every transaction of this till got its answer.\n"));
    else
        printf(P_("%zu transaction got no answer: run pos-client retry to settle it (each is "
                  "booked at most once).\n",
                  "%zu transactions got no answer: run pos-client retry to settle them (each is "
                  "booked at most once).\n",
                  n),
               n);
    if (s.n_offline > 0)
        printf(P_("%zu call accepted offline waits: pos-client sync sends it.\n",
                  "%zu calls accepted offline wait: pos-client sync sends them.\n", s.n_offline),
               s.n_offline);
    pos_journal_state_free(&s);
    return POS_EXIT_OK;
}
