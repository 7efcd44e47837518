/* Settling the till's pending txns: reading them from the journal, sending one again exactly as it
 * was first sent (same request, same txn id, through the operation of its kind, so the service
 * books it at most once), and saying how that settled it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pos/i18n.h"
#include "pos/till_internal.h"

enum cpn_err pos_till_pending(const struct pos_till *till, struct pos_journal_state *out)
{
    return pos_journal_load(till->cfg->state_dir, out);
}

/* Reads the decimal id TEXT into *ID. Returns false unless it is 1..18 digits and > 0. */
static bool read_id(const char *text, int64_t *id)
{
    size_t n = strlen(text);
    if (n == 0 || n > 18 || strspn(text, "0123456789") != n)
        return false;
    *id = strtoll(text, NULL, 10);
    return *id > 0;
}

void pos_till_retry(struct pos_till *till, const struct pos_journal_entry *e,
                    struct pos_result *res)
{
    const char *k = e->kind;
    int64_t id = 0;
    bool is_void = strcmp(k, "void") == 0 || strcmp(k, "card_void") == 0;
    till->resending = e;
    if (strcmp(k, "redeem") == 0) {
        pos_till_redeem_vat(till, e->subject, e->amount, e->card[0] != '\0' ? e->card : NULL,
                            e->receipt[0] != '\0' ? e->receipt : NULL,
                            e->vat[0] != '\0' ? e->vat : NULL, e->txn_id, res);
    } else if (strcmp(k, "earn") == 0) {
        pos_till_card_earn(till, e->subject, e->amount, e->txn_id, res);
    } else if (strcmp(k, "burn") == 0) {
        pos_till_card_burn(till, e->subject, e->amount, e->txn_id, res);
    } else if (strcmp(k, "credit") == 0 && e->card[0] != '\0') {
        pos_till_card_credit(till, e->card, e->subject, e->txn_id, res);
    } else if (strcmp(k, "return") == 0 && read_id(e->subject, &id)) {
        pos_till_return(till, id, e->amount, e->txn_id, res);
    } else if (is_void && read_id(e->subject, &id)) {
        if (strcmp(k, "void") == 0)
            pos_till_void(till, id, e->txn_id, res);
        else
            pos_till_card_void(till, id, e->txn_id, res);
    } else {
        pos_result_init(res);
        snprintf(res->txn_id, sizeof res->txn_id, "%s", e->txn_id);
        pos_result_refuse_locally(res, CPN_ERR_BAD_REQUEST, _("NOT SENT: "), NULL,
                                  _("this version of pos-client cannot send this entry again; "
                                    "please call IT."));
    }
    till->resending = NULL;
    if (!res->resolving && res->exit != POS_EXIT_USAGE && !res->local) {
        /* Settled meanwhile by another pos-client; sent again all the same (harmless). */
        snprintf(res->began, sizeof res->began, "%s", e->time);
    }
}

const char *pos_till_resolution(const struct pos_journal_entry *e, const struct pos_result *res,
                                char *buf, size_t size)
{
    char when[64];
    (void)pos_till_local_time(e->time, when, sizeof when);
    bool is_void = strcmp(e->kind, "void") == 0 || strcmp(e->kind, "card_void") == 0;
    bool card = strcmp(e->kind, "earn") == 0 || strcmp(e->kind, "burn") == 0 ||
                strcmp(e->kind, "credit") == 0;
    if (res->local || res->exit == POS_EXIT_USAGE) {
        snprintf(buf, size, "%s", _("not sent again: it stays pending"));
    } else if (res->pending) {
        snprintf(buf, size, "%s",
                 _("still no answer: it stays pending; run pos-client retry later"));
    } else if (res->exit == POS_EXIT_REFUSED) {
        snprintf(buf, size, "%s", _("settled: refused, nothing was booked under this txn"));
    } else if (res->exit != POS_EXIT_OK) {
        snprintf(buf, size, "%s", _("not settled: it stays pending"));
    } else if (is_void) {
        snprintf(buf, size,
                 _("settled: voided (the service does not say whether by the attempt "
                   "of %s or by this retry)"),
                 when);
    } else if (strcmp(e->kind, "return") == 0 && !res->replayed) {
        snprintf(buf, size,
                 _("settled: the attempt of %s never reached the service, so the return was "
                   "booked only now"),
                 when);
    } else if (res->replayed) {
        snprintf(buf, size,
                 _("settled: the attempt of %s had gone through; the service repeated its answer "
                   "and booked nothing new"),
                 when);
    } else {
        /* TRANSLATORS: the second %s is "" or "card " (a command: pos-client card void N) */
        snprintf(buf, size,
                 _("settled: the attempt of %s never reached the service, so it was booked only "
                   "now; if the customer did not get it, reverse it with pos-client %svoid "
                   "%" PRId64),
                 when, card ? "card " : "", res->id);
    }
    return buf;
}

int pos_till_retry_all(struct pos_till *till, const char *only, bool verbose, FILE *out)
{
    struct pos_journal_state s;
    enum cpn_err err = pos_till_pending(till, &s);
    if (err != CPN_OK) {
        fprintf(out, _("This till cannot read its journal in %s (%s): please call IT.\n"),
                till->cfg->state_dir, err == CPN_ERR_IO ? strerror(errno) : _("out of memory"));
        fflush(out);
        pos_journal_state_free(&s);
        return POS_EXIT_USAGE;
    }
    size_t todo = 0;
    for (size_t i = 0; i < s.n_pending; i++)
        if (!s.pending[i].offline && (only == NULL || strcmp(s.pending[i].txn_id, only) == 0))
            todo++;
    if (todo == 0) {
        if (only != NULL && pos_journal_find(&s, only) != NULL)
            fprintf(out,
                    _("Nothing to retry: txn %s was accepted offline; pos-client sync sends it.\n"),
                    only);
        else if (only != NULL)
            fprintf(out, _("Nothing to retry: txn %s is not pending in this till's journal.\n"),
                    only);
        else
            fprintf(out, "%s",
                    _("Nothing to retry: every transaction of this till got its answer.\n"));
        fflush(out);
        pos_journal_state_free(&s);
        return POS_EXIT_OK;
    }
    int rc = POS_EXIT_OK;
    size_t done = 0;
    for (size_t i = 0; i < s.n_pending; i++) {
        const struct pos_journal_entry *e = &s.pending[i];
        if (e->offline || (only != NULL && strcmp(e->txn_id, only) != 0))
            continue; /* accepted offline: pos-client sync sends it */
        struct pos_result res;
        char what[160], when[64], how[POS_LINE_SIZE / 2];
        pos_till_retry(till, e, &res);
        done++;
        (void)pos_till_local_time(e->time, when, sizeof when);
        fprintf(out, _("txn %s (%s, begun %s): %s — %s"), e->txn_id,
                pos_till_describe_entry(e, what, sizeof what), when, res.line,
                pos_till_resolution(e, &res, how, sizeof how));
        if (verbose && res.detail[0] != '\0')
            fprintf(out, " — %s", res.detail);
        fputc('\n', out);
        fflush(out);
        if (res.exit == POS_EXIT_UNAVAILABLE || res.pending) {
            rc = POS_EXIT_UNAVAILABLE;
            break; /* the service is not answering: the others would wait as long */
        }
        if (res.exit == POS_EXIT_USAGE || (res.local && rc == POS_EXIT_OK))
            rc = POS_EXIT_USAGE;
        else if (res.exit == POS_EXIT_REFUSED && rc == POS_EXIT_OK)
            rc = POS_EXIT_REFUSED;
    }
    if (done < todo) {
        fprintf(out,
                P_("%zu more pending transaction not tried now: run pos-client retry when the "
                   "coupon service answers again.\n",
                   "%zu more pending transactions not tried now: run pos-client retry when the "
                   "coupon service answers again.\n",
                   todo - done),
                todo - done);
        fflush(out);
    }
    pos_journal_state_free(&s);
    return rc;
}
