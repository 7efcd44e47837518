/* Pending transactions in the cashier mode: saying which earlier ones got no answer, settling
 * them on "retry" (each sent again under its own txn id, so the service books it at most once),
 * telling the cashier, when a basket's own call was sent again, what became of its first
 * attempt; and sending the calls accepted offline between customers once the service answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pos/cashier_internal.h"
#include "pos/i18n.h"

void pos_cashier_remember(bool *pending, char txn[POS_TXN_ID_SIZE], const struct pos_result *r)
{
    *pending = r->pending;
    if (r->pending)
        snprintf(txn, POS_TXN_ID_SIZE, "%s", r->txn_id);
    else
        txn[0] = '\0';
}

const char *pos_cashier_again_note(const struct pos_result *r)
{
    if (!r->resolving || r->exit != POS_EXIT_OK)
        return "";
    return r->replayed ? _(" (the attempt that got no answer had gone through: booked once)")
                       : _(" (the attempt that got no answer had not arrived: booked now)");
}

/* Returns true when TXN is the txn of a call of the open basket B that is pending. */
static bool in_basket(const struct pos_basket *b, const char *txn)
{
    for (size_t i = 0; i < b->n_coupons; i++)
        if ((b->coupons[i].pending && strcmp(b->coupons[i].txn_id, txn) == 0) ||
            (b->coupons[i].void_pending && strcmp(b->coupons[i].void_txn, txn) == 0))
            return true;
    return (b->burn_pending && strcmp(b->burn_txn, txn) == 0) ||
           (b->earn_pending && strcmp(b->earn_txn, txn) == 0) ||
           (b->void_pending[0] && strcmp(b->void_txn[0], txn) == 0) ||
           (b->void_pending[1] && strcmp(b->void_txn[1], txn) == 0);
}

void pos_cashier_say_pending(struct pos_cashier_session *s)
{
    struct pos_journal_state j;
    if (pos_till_pending(s->till, &j) == CPN_OK) {
        size_t n = 0;
        for (size_t i = 0; i < j.n_pending; i++)
            if (!j.pending[i].offline && !in_basket(&s->b, j.pending[i].txn_id))
                n++;
        if (n > 0)
            pos_cashier_say(s,
                            P_("PENDING: %zu earlier transaction of this till got no answer: type "
                               "retry to settle it (each is booked at most once).",
                               "PENDING: %zu earlier transactions of this till got no answer: "
                               "type retry to settle them (each is booked at most once).",
                               n),
                            n);
        s->offline_waiting = j.n_offline;
        if (j.n_offline > 0)
            pos_cashier_say(s,
                            P_("OFFLINE: %zu call accepted offline waits: it is sent when the "
                               "coupon service answers again.",
                               "OFFLINE: %zu calls accepted offline wait: they are sent when the "
                               "coupon service answers again.",
                               j.n_offline),
                            j.n_offline);
    }
    pos_journal_state_free(&j);
}

/* Seconds between two attempts to send the calls accepted offline. */
#define SYNC_EVERY_S 1

void pos_cashier_count_offline(struct pos_cashier_session *s)
{
    struct pos_journal_state j;
    if (pos_till_pending(s->till, &j) == CPN_OK)
        s->offline_waiting = j.n_offline;
    pos_journal_state_free(&j);
}

bool pos_cashier_sync_due(struct pos_cashier_session *s)
{
    const struct pos_basket *b = &s->b;
    time_t now = time(NULL);
    if (s->offline_waiting == 0 || now < s->next_sync || b->n_coupons > 0 || b->has_card ||
        b->has_total)
        return false;
    s->next_sync = now + SYNC_EVERY_S;
    size_t sent = 0, len = 0;
    char *text = NULL;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL)
        return false;
    (void)pos_till_sync(s->till, false, true, mem, &sent);
    fclose(mem);
    if (sent > 0 && len > 0) {
        if (s->prompt)
            fputs("\r\033[K", s->out); /* over the prompt shown while waiting */
        fwrite(text, 1, len, s->out);
        fflush(s->out);
    }
    free(text);
    pos_cashier_count_offline(s);
    return sent > 0;
}

void pos_cashier_retry(struct pos_cashier_session *s)
{
    if (pos_basket_booked(&s->b)) {
        pos_cashier_say(s, "%s",
                        _("This basket is partly booked: type pay to finish it (its own calls "
                          "are sent again), or cancel; then retry."));
        return;
    }
    (void)pos_till_retry_all(s->till, NULL, false, s->out);
}
