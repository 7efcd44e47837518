/* The cashier mode: classifies each input line (a code, an amount, a command), keeps one basket at
 * a time, checks coupons as they are scanned and books the basket on "pay" — coupons redeemed,
 * points burned, points earned on what is left to pay — each its own journaled call, one line per
 * result, and a summary line. When a call gets no answer, the basket stays as it is and "pay"
 * again picks up where it stopped: nothing is booked twice. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cashier.h"
#include "money.h"

/* Most coupons in one basket. */
#define MAX_COUPONS 32

/* Why a kept coupon is not valid yet. */
static const char WAITING_FOR_CARD[] = "card";
static const char WAITING_FOR_MINIMUM[] = "minimum";

/* A coupon in the basket. */
struct coupon {
    struct pos_scan scan;
    int64_t discount_cents;  /* from the last check, or the redemption once redeemed */
    int64_t redemption_id;   /* once redeemed, else 0 */
    bool pending;            /* a redeem got no answer: it may have gone through */
    const char *waiting_for; /* NULL, or why the last check said "not yet" (card, minimum) */
};

/* The customer's basket. */
struct basket {
    bool has_card;
    struct pos_scan card;
    int64_t card_balance; /* -1 unknown */
    bool has_total;
    int64_t total_cents;
    struct coupon coupons[MAX_COUPONS];
    size_t n_coupons;
    int64_t burn_points;   /* 0 none */
    int64_t burn_txn_id;   /* once burned, else 0 */
    bool burn_pending;     /* the burn got no answer: it may have gone through */
    int64_t earn_txn_id;   /* once earned, else 0 */
    int64_t earned_points; /* once earned */
    int64_t earn_cents;    /* what the last earn was for */
    bool earn_pending;     /* the earn got no answer: it may have gone through */
};

/* The session: the till, where to write, and the basket. */
struct session {
    struct pos_till *till;
    FILE *out;
    struct basket b;
    bool quit_warned; /* "quit" with a partly booked basket was said once */
};

/* Copies MESSAGE into BUF (SIZE bytes) without its final full stop. */
static void without_full_stop(char *buf, size_t size, const char *message)
{
    snprintf(buf, size, "%s", message);
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == '.')
        buf[n - 1] = '\0';
}

/* Writes one line to the cashier and flushes it, so a pipe or a terminal sees it at once. */
__attribute__((format(printf, 2, 3))) static void say(struct session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(s->out, fmt, ap);
    va_end(ap);
    fputc('\n', s->out);
    fflush(s->out);
}

/* Copies LINE into BUF (SIZE bytes) without white space around it. Returns false when it does
 * not fit. */
static bool trimmed(const char *line, char *buf, size_t size)
{
    while (isspace((unsigned char)*line))
        line++;
    size_t n = strlen(line);
    while (n > 0 && isspace((unsigned char)line[n - 1]))
        n--;
    if (n >= size)
        return false;
    memcpy(buf, line, n);
    buf[n] = '\0';
    return true;
}

/* Returns true when WORD equals one of the NULL-terminated WORDS, ignoring case. */
static bool is_one_of(const char *word, const char *const *words)
{
    for (; *words != NULL; words++)
        if (strcasecmp(word, *words) == 0)
            return true;
    return false;
}

/* Returns true when S holds only digits, '.' and ',' (and at least one digit). */
static bool looks_numeric(const char *s)
{
    bool any = false;
    for (; *s != '\0'; s++) {
        if (*s >= '0' && *s <= '9')
            any = true;
        else if (*s != '.' && *s != ',')
            return false;
    }
    return any;
}

/* Returns true when the N bytes at S are a word of letters (or "?") of at most 12. */
static bool is_word(const char *s, size_t n)
{
    if (n == 0 || n > 12)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalpha((unsigned char)s[i]) && s[i] != '?')
            return false;
    return true;
}

/* Returns the number of words (runs of non-blank characters) in S. */
static size_t count_words(const char *s)
{
    size_t n = 0;
    for (bool in = false; *s != '\0'; s++) {
        bool blank = *s == ' ' || *s == '\t';
        if (!blank && !in)
            n++;
        in = !blank;
    }
    return n;
}

static const char NOT_AN_AMOUNT[] = "Not an amount: type the total like 12.34.";
static const char NOT_POINTS[] =
    "Not a number of points: type burn and a whole number, like burn 500.";
static const char NOT_UNDERSTOOD[] = "Not understood: type help to see what the till understands.";

void pos_cashier_classify(const char *line, struct pos_line *out)
{
    static const char *const help[] = {"help", "?", "h", NULL};
    static const char *const quit[] = {"quit", "exit", "q", NULL};
    static const char *const cancel[] = {"cancel", "clear", NULL};
    static const char *const pay[] = {"pay", "done", NULL};
    memset(out, 0, sizeof *out);
    out->err = CPN_OK;
    char buf[POS_CASHIER_LINE_MAX + 1];
    if (!trimmed(line, buf, sizeof buf)) {
        out->kind = POS_LINE_BAD_CODE;
        out->err = CPN_ERR_MALFORMED_CODE;
        out->why = cpn_err_message(CPN_ERR_MALFORMED_CODE);
        return;
    }
    if (buf[0] == '\0') {
        out->kind = POS_LINE_EMPTY;
        return;
    }
    /* The first word, and the rest after blanks. */
    size_t wlen = strcspn(buf, " \t");
    char word[16] = "";
    if (wlen < sizeof word) {
        memcpy(word, buf, wlen);
        word[wlen] = '\0';
    }
    const char *rest = buf + wlen;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    if (strcasecmp(word, "total") == 0) {
        bool ok = pos_money_parse(rest, &out->amount) == CPN_OK;
        out->kind = ok ? POS_LINE_TOTAL : POS_LINE_BAD_NUMBER;
        out->why = ok ? NULL : NOT_AN_AMOUNT;
        return;
    }
    if (strcasecmp(word, "burn") == 0) {
        bool ok = pos_count_parse(rest, &out->amount) == CPN_OK;
        out->kind = ok ? POS_LINE_BURN : POS_LINE_BAD_NUMBER;
        out->why = ok ? NULL : NOT_POINTS;
        return;
    }
    if (*rest == '\0') {
        static const struct {
            const char *const *words;
            enum pos_line_kind kind;
        } commands[] = {
            {help, POS_LINE_HELP},
            {quit, POS_LINE_QUIT},
            {cancel, POS_LINE_CANCEL},
            {pay, POS_LINE_PAY},
        };
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
            if (is_one_of(word, commands[i].words)) {
                out->kind = commands[i].kind;
                return;
            }
        }
    }
    const char *why = NULL;
    enum cpn_err err = pos_scan_parse_any(buf, &out->scan, &why);
    if (err == CPN_OK) {
        out->kind = out->scan.code.kind == CPN_KIND_CARD ? POS_LINE_CARD : POS_LINE_COUPON;
        return;
    }
    memset(&out->scan, 0, sizeof out->scan);
    if (err != CPN_ERR_TYPO && looks_numeric(buf)) {
        bool ok = pos_money_parse(buf, &out->amount) == CPN_OK;
        out->kind = ok ? POS_LINE_TOTAL : POS_LINE_BAD_NUMBER;
        out->why = ok ? NULL : NOT_AN_AMOUNT;
        return;
    }
    if (err != CPN_ERR_TYPO && is_word(buf, wlen) && count_words(buf) <= 2) {
        out->kind = POS_LINE_UNKNOWN;
        out->why = NOT_UNDERSTOOD;
        return;
    }
    out->kind = POS_LINE_BAD_CODE;
    out->err = err;
    out->why = why;
}

/* Starts an empty basket. */
static void basket_clear(struct basket *b)
{
    memset(b, 0, sizeof *b);
    b->card_balance = -1;
}

/* Returns true when something of B was booked already, or may have been (a coupon redeemed,
 * points burned or earned, or a call for one unanswered): then the basket must be paid or its
 * bookings voided. */
static bool basket_booked(const struct basket *b)
{
    for (size_t i = 0; i < b->n_coupons; i++)
        if (b->coupons[i].redemption_id != 0 || b->coupons[i].pending)
            return true;
    return b->burn_txn_id != 0 || b->earn_txn_id != 0 || b->burn_pending || b->earn_pending;
}

/* The sum of the discounts of B's coupons (checked or redeemed), and the value of the points to
 * burn (1 point = 1 cent), never more than the total. */
static int64_t basket_discounts(const struct basket *b)
{
    int64_t sum = 0;
    for (size_t i = 0; i < b->n_coupons; i++)
        if (b->coupons[i].waiting_for == NULL &&
            __builtin_add_overflow(sum, b->coupons[i].discount_cents, &sum))
            return b->total_cents;
    if (__builtin_add_overflow(sum, b->burn_points, &sum) || sum > b->total_cents)
        return b->total_cents;
    return sum;
}

/* Prints the help. */
static void help(struct session *s)
{
    say(s, "Scan or type a bonus card or coupon code; each gets one line back.");
    say(s, "  12.34 or total 12.34   set the basket total (coupons are checked against it)");
    say(s, "  burn 500               burn 500 points of the scanned card at pay (1 point = 1 "
           "cent)");
    say(s, "  pay (or done)          redeem the coupons, burn and earn points, show what to "
           "pay");
    say(s, "  cancel                 drop this basket (anything already booked is voided)");
    say(s, "  help, quit             this help; leave the till mode");
}

/* Checks coupon C against the current basket and says the result. Returns false when the
 * coupon must not stay in the basket. */
static bool check_coupon(struct session *s, struct coupon *c)
{
    struct basket *b = &s->b;
    struct pos_result r;
    pos_till_check(s->till, c->scan.text, b->has_total ? b->total_cents : 0,
                   b->has_card ? b->card.text : NULL, &r);
    const char *code = c->scan.short_form;
    c->waiting_for = NULL;
    c->discount_cents = 0;
    switch (r.exit) {
    case POS_EXIT_OK:
        c->discount_cents = r.discount_cents;
        say(s, "Coupon %s: %s", code, r.line);
        return true;
    case POS_EXIT_REFUSED:
        if (r.err == CPN_ERR_CARD_REQUIRED && !b->has_card) {
            c->waiting_for = WAITING_FOR_CARD;
            say(s, "Coupon %s: NOT YET: this coupon needs the customer's bonus card: scan it.",
                code);
            return true;
        }
        if (r.err == CPN_ERR_BELOW_MINIMUM) {
            c->waiting_for = WAITING_FOR_MINIMUM;
            char min[POS_MONEY_SIZE];
            if (!b->has_total && c->scan.code.is_signed && c->scan.code.min_basket_cents > 0) {
                say(s,
                    "Coupon %s: KEPT: it needs a basket of at least %s; checked again when the "
                    "total is typed",
                    code, pos_money_format(c->scan.code.min_basket_cents, min));
            } else if (!b->has_total) {
                say(s,
                    "Coupon %s: KEPT: it needs a minimum basket; checked again when the total "
                    "is typed",
                    code);
            } else {
                char text[POS_LINE_SIZE / 2];
                without_full_stop(text, sizeof text, cpn_err_message(CPN_ERR_BELOW_MINIMUM));
                say(s, "Coupon %s: NOT YET: %s (kept; checked again when the total changes)", code,
                    text);
            }
            return true;
        }
        say(s, "Coupon %s: %s", code, r.line);
        return false;
    case POS_EXIT_UNAVAILABLE:
        if (r.offline)
            say(s, "Coupon %s: %s; kept, the service decides at pay", code, r.line);
        else
            say(s, "Coupon %s: NOT CHECKED: %s (kept; the service decides at pay)", code, r.line);
        return true;
    default:
        say(s, "Coupon %s: %s", code, r.line);
        return false;
    }
}

/* Re-checks the coupons in the basket (after the total or the card changed); ONLY_WAITING
 * limits it to those waiting for a card or a higher total. */
static void recheck(struct session *s, bool only_waiting)
{
    struct basket *b = &s->b;
    size_t kept = 0;
    for (size_t i = 0; i < b->n_coupons; i++) {
        struct coupon *c = &b->coupons[i];
        bool keep = true;
        bool still_no_card = c->waiting_for == WAITING_FOR_CARD && !b->has_card;
        if (c->redemption_id == 0 && !still_no_card && (!only_waiting || c->waiting_for != NULL))
            keep = check_coupon(s, c);
        if (keep)
            b->coupons[kept++] = *c;
    }
    b->n_coupons = kept;
}

/* Says the basket's state in one line. */
static void say_basket(struct session *s)
{
    struct basket *b = &s->b;
    char total[POS_MONEY_SIZE], off[POS_MONEY_SIZE], due[POS_MONEY_SIZE];
    int64_t discounts = basket_discounts(b);
    say(s, "BASKET: total %s, %zu coupon%s, %s off so far, to pay about %s%s",
        pos_money_format(b->total_cents, total), b->n_coupons, b->n_coupons == 1 ? "" : "s",
        pos_money_format(discounts, off), pos_money_format(b->total_cents - discounts, due),
        b->has_card ? "" : " (no bonus card)");
}

static void on_total(struct session *s, int64_t cents)
{
    struct basket *b = &s->b;
    if (basket_booked(b)) {
        say(s, "This basket is already partly booked: type pay to finish it, or cancel.");
        return;
    }
    b->has_total = true;
    b->total_cents = cents;
    recheck(s, false);
    say_basket(s);
}

static void on_card(struct session *s, const struct pos_scan *card)
{
    struct basket *b = &s->b;
    if (b->has_card && strcmp(b->card.short_form, card->short_form) == 0) {
        say(s, "Card %s: already scanned for this basket (%" PRId64 " points)", card->short_form,
            b->card_balance);
        return;
    }
    if (basket_booked(b)) {
        say(s, "This basket is already partly booked: type pay to finish it, or cancel.");
        return;
    }
    struct pos_result r;
    pos_till_card_balance(s->till, card->text, &r);
    if (r.exit == POS_EXIT_REFUSED || r.exit == POS_EXIT_USAGE) {
        say(s, "Card %s: %s", card->short_form, r.line);
        return;
    }
    bool replaced = b->has_card;
    b->has_card = true;
    b->card = *card;
    b->card_balance = r.exit == POS_EXIT_OK ? r.balance : -1;
    if (replaced && b->burn_points > 0) {
        b->burn_points = 0;
        say(s, "The points to burn were for the other card: type burn again if wanted.");
    }
    if (r.exit == POS_EXIT_OK)
        say(s, "Card %s: %s%" PRId64 " points", card->short_form,
            replaced ? "replaces the card scanned before; " : "", r.balance);
    else
        say(s, "Card %s: kept for this basket; balance unknown: %s", card->short_form, r.line);
    recheck(s, true);
}

static void on_coupon(struct session *s, const struct pos_scan *scan)
{
    struct basket *b = &s->b;
    for (size_t i = 0; i < b->n_coupons; i++) {
        if (strcmp(b->coupons[i].scan.short_form, scan->short_form) == 0) {
            say(s, "Coupon %s: already in this basket", scan->short_form);
            return;
        }
    }
    if (b->n_coupons == MAX_COUPONS) {
        say(s, "Coupon %s: a basket holds at most %d coupons", scan->short_form, MAX_COUPONS);
        return;
    }
    if (basket_booked(b)) {
        say(s, "This basket is already partly booked: type pay to finish it, or cancel.");
        return;
    }
    struct coupon *c = &b->coupons[b->n_coupons];
    memset(c, 0, sizeof *c);
    c->scan = *scan;
    if (check_coupon(s, c))
        b->n_coupons++;
}

static void on_burn(struct session *s, int64_t points)
{
    struct basket *b = &s->b;
    if (!b->has_card) {
        say(s, "Scan the customer's bonus card first, then burn points.");
        return;
    }
    if (basket_booked(b)) {
        say(s, "This basket is already partly booked: type pay to finish it, or cancel.");
        return;
    }
    if (b->card_balance >= 0 && points > b->card_balance) {
        say(s, "BURN REFUSED: %s (balance %" PRId64 " points)",
            "The card does not have enough points", b->card_balance);
        return;
    }
    char worth[POS_MONEY_SIZE];
    b->burn_points = points;
    say(s, "BURN: %" PRId64 " points (%s off) from card %s at pay", points,
        pos_money_format(points, worth), b->card.short_form);
}

/* Says R's line for a call at pay that got no definite answer, and what to do. */
static void say_stopped(struct session *s, const char *what, const struct pos_result *r)
{
    say(s, "%s: NO ANSWER: %s Type pay again: nothing is booked twice.", what,
        r->err == CPN_ERR_TIMEOUT ? "the coupon service did not answer in time." : r->line);
}

/* Books the basket. Returns true when it is done (and a new one may start). */
static bool on_pay(struct session *s)
{
    struct basket *b = &s->b;
    if (!b->has_total) {
        say(s, "Type the basket total first (like 12.34), then pay.");
        return false;
    }
    const char *card = b->has_card ? b->card.text : NULL;
    char what[64];
    /* Coupons first: each its own redemption, against the whole basket. */
    size_t kept = 0;
    for (size_t i = 0; i < b->n_coupons; i++) {
        struct coupon *c = &b->coupons[i];
        if (c->redemption_id == 0) {
            struct pos_result r;
            pos_till_redeem(s->till, c->scan.text, b->total_cents, card, NULL, &r);
            snprintf(what, sizeof what, "Coupon %s", c->scan.short_form);
            c->pending = r.pending;
            if (r.exit == POS_EXIT_OK) {
                char off[POS_MONEY_SIZE];
                c->redemption_id = r.id;
                c->discount_cents = r.discount_cents;
                c->waiting_for = NULL;
                say(s, "%s: REDEEMED: %s off (redemption %" PRId64 ")", what,
                    pos_money_format(r.discount_cents, off), r.id);
            } else if (r.exit == POS_EXIT_REFUSED) {
                say(s, "%s: %s", what, r.line);
                continue; /* dropped from the basket */
            } else {
                for (size_t j = i; j < b->n_coupons; j++)
                    b->coupons[kept++] = b->coupons[j];
                b->n_coupons = kept;
                say_stopped(s, what, &r);
                return false;
            }
        }
        b->coupons[kept++] = *c;
    }
    b->n_coupons = kept;
    int64_t coupon_off = 0;
    for (size_t i = 0; i < b->n_coupons; i++)
        if (__builtin_add_overflow(coupon_off, b->coupons[i].discount_cents, &coupon_off))
            coupon_off = b->total_cents;
    if (coupon_off > b->total_cents)
        coupon_off = b->total_cents;
    /* Points to burn, at most what is left to pay. */
    if (b->has_card && b->burn_points > 0 && b->burn_txn_id == 0) {
        int64_t left = b->total_cents - coupon_off;
        if (b->burn_points > left) {
            say(s, "BURN: only %" PRId64 " points are needed for what is left to pay", left);
            b->burn_points = left;
        }
        if (b->burn_points > 0) {
            struct pos_result r;
            pos_till_card_burn(s->till, card, b->burn_points, NULL, &r);
            b->burn_pending = r.pending;
            snprintf(what, sizeof what, "Card %s", b->card.short_form);
            if (r.exit == POS_EXIT_OK) {
                char worth[POS_MONEY_SIZE];
                b->burn_txn_id = r.id;
                b->card_balance = r.balance;
                say(s,
                    "%s: BURNED: %" PRId64 " points (%s off); balance %" PRId64
                    " points (card transaction %" PRId64 ")",
                    what, r.points, pos_money_format(r.points, worth), r.balance, r.id);
            } else if (r.exit == POS_EXIT_REFUSED) {
                b->burn_points = 0;
                say(s, "%s: %s", what, r.line);
            } else {
                say_stopped(s, what, &r);
                return false;
            }
        }
    }
    int64_t off = coupon_off + (b->burn_txn_id != 0 ? b->burn_points : 0);
    int64_t due = b->total_cents - off;
    /* Points earned on what the customer pays. */
    if (b->has_card && b->earn_txn_id == 0 && due > 0) {
        struct pos_result r;
        pos_till_card_earn(s->till, card, due, NULL, &r);
        b->earn_pending = r.pending;
        b->earn_cents = due;
        snprintf(what, sizeof what, "Card %s", b->card.short_form);
        if (r.exit == POS_EXIT_OK) {
            b->earn_txn_id = r.id;
            b->earned_points = r.points;
            b->card_balance = r.balance;
            say(s,
                "%s: EARNED: %" PRId64 " points; balance %" PRId64
                " points (card transaction %" PRId64 ")",
                what, r.points, r.balance, r.id);
        } else if (r.exit == POS_EXIT_REFUSED) {
            say(s, "%s: %s", what, r.line);
        } else {
            say_stopped(s, what, &r);
            return false;
        }
    }
    char total[POS_MONEY_SIZE], disc[POS_MONEY_SIZE], pay[POS_MONEY_SIZE];
    say(s, "TOTAL %s, discounts %s, to pay %s", pos_money_format(b->total_cents, total),
        pos_money_format(off, disc), pos_money_format(due, pay));
    return true;
}

/* For cancel: learns how a call that got no answer ended by sending it again (same txn id, from
 * the journal: the service answers it once). R is the new attempt's result. Returns true when
 * the outcome is now known (then *ID is what was booked, 0 for nothing). */
static bool settled(struct session *s, const char *what, const struct pos_result *r, int64_t *id)
{
    if (r->exit == POS_EXIT_OK) {
        *id = r->id;
        return true;
    }
    if (r->exit == POS_EXIT_REFUSED) {
        *id = 0; /* refused: nothing was booked */
        return true;
    }
    say(s, "%s: %s", what, r->line);
    return false;
}

/* Drops the basket, voiding what was booked of it. A call that got no answer is first sent again
 * to learn whether it went through (if not, it goes through now), and then voided. */
static void on_cancel(struct session *s)
{
    struct basket *b = &s->b;
    const char *card = b->has_card ? b->card.text : NULL;
    bool done = true;
    char what[64];
    for (size_t i = 0; i < b->n_coupons; i++) {
        struct coupon *c = &b->coupons[i];
        struct pos_result r;
        snprintf(what, sizeof what, "Coupon %s", c->scan.short_form);
        if (c->pending) {
            pos_till_redeem(s->till, c->scan.text, b->total_cents, card, NULL, &r);
            if (!settled(s, what, &r, &c->redemption_id)) {
                done = false;
                continue;
            }
            c->pending = false;
        }
        if (c->redemption_id == 0)
            continue;
        pos_till_void(s->till, c->redemption_id, NULL, &r);
        say(s, "%s: %s", what, r.line);
        if (r.exit == POS_EXIT_OK)
            c->redemption_id = 0;
        else
            done = false;
    }
    snprintf(what, sizeof what, "Card %s", b->card.short_form);
    struct pos_result r;
    if (b->burn_pending) {
        pos_till_card_burn(s->till, card, b->burn_points, NULL, &r);
        if (settled(s, what, &r, &b->burn_txn_id))
            b->burn_pending = false;
        else
            done = false;
    }
    if (b->earn_pending) {
        pos_till_card_earn(s->till, card, b->earn_cents, NULL, &r);
        if (settled(s, what, &r, &b->earn_txn_id))
            b->earn_pending = false;
        else
            done = false;
    }
    int64_t *txns[2] = {&b->burn_txn_id, &b->earn_txn_id};
    for (size_t i = 0; i < 2; i++) {
        if (*txns[i] == 0)
            continue;
        pos_till_card_void(s->till, *txns[i], NULL, &r);
        say(s, "%s: %s", what, r.line);
        if (r.exit == POS_EXIT_OK)
            *txns[i] = 0;
        else
            done = false;
    }
    if (!done) {
        say(s, "CANCEL INCOMPLETE: not everything could be voided yet; type cancel again.");
        return;
    }
    basket_clear(b);
    say(s, "CANCELLED: the basket is empty");
}

/* Says, when leaving with a partly booked basket, what stays booked and how to void it. */
static void say_booked(struct session *s)
{
    const struct basket *b = &s->b;
    say(s, "OPEN BASKET LEFT: these stay booked until voided:");
    for (size_t i = 0; i < b->n_coupons; i++) {
        const struct coupon *c = &b->coupons[i];
        if (c->redemption_id != 0)
            say(s, "  coupon %s: redemption %" PRId64 " (pos-client void %" PRId64 ")",
                c->scan.short_form, c->redemption_id, c->redemption_id);
        else if (c->pending)
            say(s,
                "  coupon %s: perhaps redeemed (no answer): pos-client redeem %s --basket "
                "%" PRId64 ".%02d%s%s tells (it cannot redeem twice), then void it",
                c->scan.short_form, c->scan.text, b->total_cents / 100, (int)(b->total_cents % 100),
                b->has_card ? " --card " : "", b->has_card ? b->card.short_form : "");
    }
    const int64_t txns[2] = {b->burn_txn_id, b->earn_txn_id};
    for (size_t i = 0; i < 2; i++)
        if (txns[i] != 0)
            say(s, "  card %s: card transaction %" PRId64 " (pos-client card void %" PRId64 ")",
                b->card.short_form, txns[i], txns[i]);
}

int pos_cashier_run(struct pos_till *till, FILE *in, FILE *out, bool prompt)
{
    struct session s = {.till = till, .out = out};
    basket_clear(&s.b);
    char *line = NULL;
    size_t cap = 0;
    int rc = POS_EXIT_OK;
    for (;;) {
        if (prompt) {
            fputs("> ", out);
            fflush(out);
        }
        errno = 0;
        ssize_t n = getline(&line, &cap, in);
        if (n < 0) {
            if (ferror(in)) {
                say(&s, "pos-client: cannot read the input: %s", strerror(errno));
                rc = POS_EXIT_USAGE;
            } else if (prompt) {
                fputc('\n', out);
            }
            break;
        }
        struct pos_line l;
        if ((size_t)n > POS_CASHIER_LINE_MAX) {
            l.kind = POS_LINE_BAD_CODE;
            l.why = cpn_err_message(CPN_ERR_MALFORMED_CODE);
        } else {
            pos_cashier_classify(line, &l);
        }
        bool quit = false;
        if (l.kind != POS_LINE_QUIT && l.kind != POS_LINE_EMPTY)
            s.quit_warned = false;
        switch (l.kind) {
        case POS_LINE_EMPTY:
            break;
        case POS_LINE_HELP:
            help(&s);
            break;
        case POS_LINE_QUIT:
            if (basket_booked(&s.b) && !s.quit_warned) {
                s.quit_warned = true;
                say(&s, "This basket is partly booked: type pay to finish it, or cancel to void "
                        "it; quit again to leave it as it is.");
                break;
            }
            quit = true;
            break;
        case POS_LINE_CANCEL:
            on_cancel(&s);
            break;
        case POS_LINE_PAY:
            if (on_pay(&s)) {
                basket_clear(&s.b);
                if (prompt)
                    say(&s, "--- next customer ---");
            }
            break;
        case POS_LINE_TOTAL:
            on_total(&s, l.amount);
            break;
        case POS_LINE_BURN:
            on_burn(&s, l.amount);
            break;
        case POS_LINE_COUPON:
            on_coupon(&s, &l.scan);
            break;
        case POS_LINE_CARD:
            on_card(&s, &l.scan);
            break;
        case POS_LINE_BAD_CODE:
            say(&s, "NOT A CODE: %s", l.why);
            break;
        case POS_LINE_BAD_NUMBER:
        case POS_LINE_UNKNOWN:
            say(&s, "%s", l.why);
            break;
        }
        pos_till_refresh_keys(till);
        if (quit)
            break;
    }
    free(line);
    if (basket_booked(&s.b))
        say_booked(&s);
    else if (s.b.n_coupons > 0 || s.b.has_card || s.b.has_total)
        say(&s, "The open basket was dropped: nothing of it was booked.");
    return rc;
}
