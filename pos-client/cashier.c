/* The cashier mode's input loop: reads one line at a time, has it classified (cashier_classify.c)
 * and handed to the basket (cashier_basket.c) or to pay, cancel and retry (cashier_pay.c), and
 * answers with one line each; says at the start and after each basket which earlier transactions
 * are pending; on leaving, says what of an open basket stays booked. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pos/cashier_internal.h"
#include "pos/i18n.h"

/* Prints the help. */
static void help(struct pos_cashier_session *s)
{
    static const char *const lines[] = {
        N_("Scan or type a bonus card or coupon code; each gets one line back."),
        N_("  12.34 or total 12.34   set the basket total (coupons are checked against it)"),
        N_("  burn 500               burn 500 points of the scanned card at pay (1 point = 1 "
           "cent; burn 0: none)"),
        N_("  pay (or done)          redeem the coupons, burn and earn points, show what to "
           "pay"),
        N_("  cancel                 drop this basket (anything already booked is voided)"),
        N_("  retry                  settle earlier transactions that got no answer (each is "
           "booked at most once)"),
        N_("  a receipt code (RC...) credit the scanned card with the points of that earlier "
           "purchase"),
        N_("  help, quit             this help; leave the till mode"),
        N_("The words work in English and German (summe, punkte, zahlen, abbrechen, wiederholen, "
           "hilfe, ende)."),
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        pos_cashier_say(s, "%s", _(lines[i]));
}

/* Waits until IN has input, sending the calls accepted offline whenever their time comes while
 * the basket is empty (IN is unbuffered, so poll() sees what getline() would read). Prints the
 * prompt again after anything was said. */
static void wait_for_input(struct pos_cashier_session *s, FILE *in, bool prompt)
{
    int fd = fileno(in);
    for (;;) {
        const struct pos_basket *b = &s->b;
        bool idle = s->offline_waiting > 0 && b->n_coupons == 0 && !b->has_card && !b->has_total;
        if (!idle || fd < 0)
            return;
        time_t now = time(NULL);
        int ms = s->next_sync > now ? (int)(s->next_sync - now) * 1000 : 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, ms);
        if (n != 0)
            return; /* input, end of input, or an error getline() will report */
        if (pos_cashier_sync_due(s) && prompt) {
            fputs("> ", s->out);
            fflush(s->out);
        }
    }
}

/* Pays the basket; after a payment, says what is pending and starts the next customer. */
static void pay(struct pos_cashier_session *s)
{
    if (!pos_cashier_pay(s))
        return;
    pos_basket_clear(&s->b);
    pos_cashier_say_pending(s);
    s->next_sync = 0; /* the next idle moment tries to send what waits */
    if (s->prompt)
        pos_cashier_say(s, "%s", _("--- next customer ---"));
}

/* Does what the line L asks. Returns true when the cashier leaves the till mode. */
static bool on_line(struct pos_cashier_session *s, const struct pos_line *l)
{
    if (l->kind != POS_LINE_QUIT && l->kind != POS_LINE_EMPTY)
        s->quit_warned = false;
    switch (l->kind) {
    case POS_LINE_EMPTY:
        break;
    case POS_LINE_HELP:
        help(s);
        break;
    case POS_LINE_QUIT:
        if (pos_basket_booked(&s->b) && !s->quit_warned) {
            s->quit_warned = true;
            pos_cashier_say(s, "%s",
                            _("This basket is partly booked: type pay to finish it, or "
                              "cancel to void it; quit again to leave it as it is."));
            break;
        }
        return true;
    case POS_LINE_CANCEL:
        pos_cashier_cancel(s);
        break;
    case POS_LINE_PAY:
        pay(s);
        break;
    case POS_LINE_RETRY:
        pos_cashier_retry(s);
        break;
    case POS_LINE_TOTAL:
        pos_cashier_on_total(s, l->amount);
        break;
    case POS_LINE_BURN:
        pos_cashier_on_burn(s, l->amount);
        break;
    case POS_LINE_COUPON:
        pos_cashier_on_coupon(s, &l->scan);
        break;
    case POS_LINE_CARD:
        pos_cashier_on_card(s, &l->scan);
        break;
    case POS_LINE_RECEIPT:
        pos_cashier_on_receipt(s, l->receipt);
        break;
    case POS_LINE_BAD_CODE:
        pos_cashier_say(s, _("NOT A CODE: %s"), l->why);
        break;
    case POS_LINE_BAD_NUMBER:
    case POS_LINE_UNKNOWN:
        pos_cashier_say(s, "%s", l->why);
        break;
    }
    return false;
}

int pos_cashier_run(struct pos_till *till, FILE *in, FILE *out, bool prompt)
{
    struct pos_cashier_session s = {.till = till, .out = out, .prompt = prompt};
    pos_basket_clear(&s.b);
    pos_cashier_say_pending(&s);
    /* Unbuffered: a line is read byte by byte, so nothing waits in a buffer unseen by poll(). */
    setvbuf(in, NULL, _IONBF, 0);
    char *line = NULL;
    size_t cap = 0;
    int rc = POS_EXIT_OK;
    for (bool quit = false; !quit;) {
        if (prompt) {
            fputs("> ", out);
            fflush(out);
        }
        wait_for_input(&s, in, prompt);
        errno = 0;
        ssize_t n = getline(&line, &cap, in);
        if (n < 0) {
            if (ferror(in)) {
                pos_cashier_say(&s, _("pos-client: cannot read the input: %s"), strerror(errno));
                rc = POS_EXIT_USAGE;
            } else if (prompt) {
                fputc('\n', out);
            }
            break;
        }
        struct pos_line l;
        if ((size_t)n > POS_CASHIER_LINE_MAX) {
            l.kind = POS_LINE_BAD_CODE;
            l.why = pos_err_message(CPN_ERR_MALFORMED_CODE);
        } else {
            pos_cashier_classify(line, &l);
        }
        quit = on_line(&s, &l);
        pos_till_refresh_keys(till);
    }
    free(line);
    if (pos_basket_booked(&s.b))
        pos_cashier_say_booked(&s);
    else if (s.b.n_coupons > 0 || s.b.has_card || s.b.has_total)
        pos_cashier_say(&s, "%s", _("The open basket was dropped: nothing of it was booked."));
    return rc;
}
