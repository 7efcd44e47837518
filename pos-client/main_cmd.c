/* pos-client's commands on the till's operations — status, keys, check, redeem, void, card, the
 * till mode — and what they share: their arguments, showing the result (and what else is
 * pending), and printing the receipt of a redemption or an earn. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pos/cashier.h"
#include "pos/i18n.h"
#include "pos/main_cmd.h"
#include "pos/money.h"
#include "pos/receipt_out.h"

bool pos_main_parse_args(const char *name, int argc, char **argv, const char *allowed, int max_pos,
                         struct args *a)
{
    static const struct option options[] = {
        {"basket", required_argument, NULL, 'b'}, {"card", required_argument, NULL, 'k'},
        {"txn", required_argument, NULL, 't'},    {"points", required_argument, NULL, 'p'},
        {"vat", required_argument, NULL, 'v'},    {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    optind = 0; /* glibc: start over, for this argument vector */
    opterr = 0;
    int opt, index = -1;
    while ((opt = getopt_long(argc, argv, "-", options, &index)) != -1) {
        if (opt == 1) {
            if (a->n_pos == max_pos || a->n_pos == (int)(sizeof a->pos / sizeof a->pos[0])) {
                fprintf(stderr,
                        _("pos-client %s: unexpected argument '%s' (see pos-client --help)\n"),
                        name, optarg);
                return false;
            }
            a->pos[a->n_pos++] = optarg;
            continue;
        }
        if (opt == '?' || opt == ':') {
            fprintf(stderr,
                    _("pos-client %s: unknown option, or one without its value: '%s' (see "
                      "pos-client --help)\n"),
                    name, argv[optind - 1]);
            return false;
        }
        if (strchr(allowed, opt) == NULL) {
            fprintf(stderr,
                    _("pos-client %s: --%s does not go with this command (see pos-client "
                      "--help)\n"),
                    name, index >= 0 ? options[index].name : "?");
            return false;
        }
        index = -1;
        const char **slot = opt == 'b'   ? &a->basket
                            : opt == 'k' ? &a->card
                            : opt == 't' ? &a->txn
                            : opt == 'v' ? &a->vat
                                         : &a->points;
        *slot = optarg;
    }
    return true;
}

bool pos_main_no_arguments(const char *name, int argc)
{
    if (argc <= 1)
        return true;
    fprintf(stderr, _("pos-client: '%s' takes no arguments (see pos-client --help)\n"), name);
    return false;
}

int pos_main_show(const struct ctx *ctx, const struct pos_result *res)
{
    bool result = res->exit == POS_EXIT_OK || res->exit == POS_EXIT_REFUSED || res->offline;
    FILE *f = result ? stdout : stderr;
    if (ctx->verbose && res->detail[0] != '\0')
        fprintf(f, "%s — %s\n", res->line, res->detail);
    else
        fprintf(f, "%s\n", res->line);
    fflush(f);
    return res->exit;
}

/* Says on standard error how many transactions of this till are pending, besides RES's own (which
 * its line mentions), and how to settle them; nothing when there are none. */
static void say_pending(const struct ctx *ctx, const struct pos_result *res)
{
    struct pos_journal_state s;
    if (pos_till_pending(ctx->till, &s) == CPN_OK) {
        size_t n = s.n_pending - s.n_offline;
        if (res->pending && pos_journal_find(&s, res->txn_id) != NULL)
            n--;
        if (n > 0)
            fprintf(stderr,
                    P_("NOTE: %zu earlier transaction of this till got no answer and is pending: "
                       "run pos-client retry to settle it (pos-client pending lists it).\n",
                       "NOTE: %zu earlier transactions of this till got no answer and are "
                       "pending: run pos-client retry to settle them (pos-client pending lists "
                       "them).\n",
                       n),
                    n);
    }
    pos_journal_state_free(&s);
}

/* Shows RES and what else is pending, then refreshes the keys when they are old (after the line,
 * so the cashier does not wait). Returns RES's exit status. */
static int finish(struct ctx *ctx, const struct pos_result *res)
{
    int rc = pos_main_show(ctx, res);
    say_pending(ctx, res);
    pos_till_refresh_keys(ctx->till);
    return rc;
}

/* Parses A's basket (REQUIRED or else 0 when absent) into *CENTS. Returns false after printing
 * a usage message. */
static bool basket_arg(const char *name, const struct args *a, bool required, int64_t *cents)
{
    *cents = 0;
    if (a->basket == NULL) {
        if (required)
            fprintf(stderr, _("pos-client %s: --basket is required, like --basket 12.34\n"), name);
        return !required;
    }
    if (pos_money_parse(a->basket, cents) != CPN_OK) {
        fprintf(stderr,
                _("pos-client %s: --basket must be an amount in euros like 12.34 or 12,34 (at "
                  "most two decimals, not negative), not '%s'\n"),
                name, a->basket);
        return false;
    }
    return true;
}

/* Parses the id TEXT (what it is: WHAT) into *ID. Returns false after printing a usage message. */
static bool id_arg(const char *name, const char *what, const char *text, int64_t *id)
{
    if (text != NULL && pos_count_parse(text, id) == CPN_OK)
        return true;
    if (text != NULL)
        fprintf(stderr, _("pos-client %s: give the %s as a whole number, not '%s'\n"), name, what,
                text);
    else
        fprintf(stderr, _("pos-client %s: give the %s as a whole number\n"), name, what);
    return false;
}

/* Prints the receipt of the single redemption or earn RES (KIND "redeem" or "earn") for a basket
 * of BASKET_CENTS with the bonus card CARD (short form; NULL for none), when it was booked or
 * accepted offline and a printer or a receipt file is configured. */
static void print_single(struct ctx *ctx, const char *kind, const struct pos_result *res,
                         int64_t basket_cents, const char *card)
{
    const struct pos_config *cfg = ctx->cfg;
    if (res->exit != POS_EXIT_OK || (cfg->printer == NULL && cfg->receipt == NULL))
        return;
    struct pos_receipt r;
    memset(&r, 0, sizeof r);
    r.balance = -1;
    pos_state_now(r.time);
    snprintf(r.txn, sizeof r.txn, "%s", res->txn_id);
    r.has_total = true;
    r.total_cents = basket_cents;
    if (strcmp(kind, "redeem") == 0) {
        struct pos_receipt_coupon *c = &r.coupons[r.n_coupons++];
        snprintf(c->code, sizeof c->code, "%s", res->code);
        c->discount_cents = res->discount_cents;
        c->offline = res->offline_accepted;
        if (card != NULL)
            snprintf(r.card, sizeof r.card, "%s", card);
    } else {
        snprintf(r.card, sizeof r.card, "%s", res->code);
        r.earned_points = res->points;
        r.earn_offline = res->offline_accepted;
        r.earn_basket_cents = basket_cents;
        r.balance = res->offline_accepted ? -1 : res->balance;
    }
    if (res->has_next)
        pos_receipt_add_next(&r, &res->next);
    pos_till_receipt_code(ctx->till, &r, card == NULL && strcmp(kind, "redeem") == 0);
    (void)pos_receipt_print(cfg->printer, cfg->receipt, &r, stderr);
}

int pos_cmd_status(struct ctx *ctx, int argc, char **argv)
{
    if (!pos_main_no_arguments(argv[0], argc))
        return POS_EXIT_USAGE;
    struct pos_result res;
    pos_till_status(ctx->till, &res);
    return finish(ctx, &res);
}

int pos_cmd_keys(struct ctx *ctx, int argc, char **argv)
{
    if (!pos_main_no_arguments(argv[0], argc))
        return POS_EXIT_USAGE;
    struct pos_result res;
    pos_till_fetch_keys(ctx->till, &res);
    return pos_main_show(ctx, &res);
}

int pos_cmd_check(struct ctx *ctx, int argc, char **argv)
{
    struct args a;
    int64_t basket;
    if (!pos_main_parse_args(argv[0], argc, argv, "bk", 1, &a) ||
        !basket_arg(argv[0], &a, false, &basket))
        return POS_EXIT_USAGE;
    if (a.n_pos != 1) {
        fprintf(stderr, "%s",
                _("pos-client check: give the coupon code (see pos-client --help)\n"));
        return POS_EXIT_USAGE;
    }
    struct pos_result res;
    pos_till_check(ctx->till, a.pos[0], basket, a.card, &res);
    return finish(ctx, &res);
}

/* The length of the amount at S in a --vat list: up to a ';', the end, or a ',' that starts the
 * next "KEY=" (so that German amounts keep their decimal comma: "1=30,00,2=20,00"). */
static size_t vat_amount_len(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0' && s[n] != ';'; n++) {
        if (s[n] != ',')
            continue;
        size_t k = strspn(s + n + 1, "0123456789");
        if (k >= 1 && s[n + 1 + k] == '=')
            break;
    }
    return n;
}

/* Parses A's --vat ("1=30.00,2=20.00": DSFinV-K rate keys 1 to 99 and the basket's euros at
 * each, adding up to BASKET) into OUT (SIZE bytes) as the journal keeps it, "1:3000,2:2000".
 * Returns true ("" in OUT when there is no --vat), or false after printing a usage message. */
static bool vat_arg(const struct args *a, int64_t basket, char *out, size_t size)
{
    out[0] = '\0';
    if (a->vat == NULL)
        return true;
    size_t n = 0;
    int64_t sum = 0;
    bool ok = a->vat[0] != '\0';
    for (const char *p = a->vat; ok && *p != '\0';) {
        size_t k = strspn(p, "0123456789");
        size_t m = p[k] == '=' ? vat_amount_len(p + k + 1) : 0;
        char amount[32];
        int64_t cents = 0;
        ok = k >= 1 && k <= 2 && p[0] != '0' && p[k] == '=' && m >= 1 && m < sizeof amount;
        if (ok) {
            memcpy(amount, p + k + 1, m);
            amount[m] = '\0';
            ok = pos_money_parse(amount, &cents) == CPN_OK &&
                 !__builtin_add_overflow(sum, cents, &sum);
        }
        if (ok) {
            int w =
                snprintf(out + n, size - n, "%s%.*s:%" PRId64, n > 0 ? "," : "", (int)k, p, cents);
            ok = w > 0 && (size_t)w < size - n;
            n += ok ? (size_t)w : 0;
        }
        if (ok) {
            p += k + 1 + m;
            if (*p != '\0')
                p++; /* the separator */
        }
    }
    if (ok && sum == basket)
        return true;
    fprintf(stderr,
            _("pos-client redeem: --vat must give the basket's euros per VAT rate key (1 to 99), "
              "adding up to the basket, like --vat 1=30.00,2=20.00, not '%s'\n"),
            a->vat);
    return false;
}

int pos_cmd_redeem(struct ctx *ctx, int argc, char **argv)
{
    struct args a;
    int64_t basket;
    char vat[POS_JOURNAL_VAT_MAX + 1];
    if (!pos_main_parse_args(argv[0], argc, argv, "bktv", 1, &a))
        return POS_EXIT_USAGE;
    if (a.n_pos != 1) {
        fprintf(stderr, "%s",
                _("pos-client redeem: give the coupon code (see pos-client --help)\n"));
        return POS_EXIT_USAGE;
    }
    if (!basket_arg(argv[0], &a, true, &basket) || !vat_arg(&a, basket, vat, sizeof vat))
        return POS_EXIT_USAGE;
    struct pos_result res;
    pos_till_redeem_vat(ctx->till, a.pos[0], basket, a.card, NULL, vat[0] != '\0' ? vat : NULL,
                        a.txn, &res);
    int rc = pos_main_show(ctx, &res);
    if (a.card != NULL) {
        struct pos_scan card;
        const char *why;
        if (pos_scan_parse(a.card, CPN_KIND_CARD, &card, &why) == CPN_OK)
            print_single(ctx, "redeem", &res, basket, card.short_form);
    } else {
        print_single(ctx, "redeem", &res, basket, NULL);
    }
    say_pending(ctx, &res);
    pos_till_refresh_keys(ctx->till);
    return rc;
}

int pos_cmd_void(struct ctx *ctx, int argc, char **argv)
{
    struct args a;
    int64_t id;
    if (!pos_main_parse_args(argv[0], argc, argv, "t", 1, &a) ||
        !id_arg(argv[0], _("redemption id"), a.n_pos == 1 ? a.pos[0] : NULL, &id))
        return POS_EXIT_USAGE;
    struct pos_result res;
    pos_till_void(ctx->till, id, a.txn, &res);
    return finish(ctx, &res);
}

int pos_cmd_return(struct ctx *ctx, int argc, char **argv)
{
    struct args a;
    int64_t id, cents;
    if (!pos_main_parse_args(argv[0], argc, argv, "t", 2, &a) ||
        !id_arg(argv[0], _("redemption id"), a.n_pos >= 1 ? a.pos[0] : NULL, &id))
        return POS_EXIT_USAGE;
    if (a.n_pos != 2 || pos_money_parse(a.pos[1], &cents) != CPN_OK || cents <= 0) {
        fprintf(stderr,
                _("pos-client return: give the price of the goods that came back in euros, like "
                  "33.33 or 33,33 (more than 0), after the redemption id\n"));
        return POS_EXIT_USAGE;
    }
    struct pos_result res;
    pos_till_return(ctx->till, id, cents, a.txn, &res);
    return finish(ctx, &res);
}

int pos_cmd_card(struct ctx *ctx, int argc, char **argv)
{
    const char *sub = argc >= 2 ? argv[1] : "";
    struct args a;
    struct pos_result res;
    int64_t n;
    if (strcmp(sub, "issue") == 0) {
        if (!pos_main_parse_args("card issue", argc - 1, argv + 1, "", 0, &a))
            return POS_EXIT_USAGE;
        pos_till_card_issue(ctx->till, &res);
    } else if (strcmp(sub, "balance") == 0 || strcmp(sub, "earn") == 0 ||
               strcmp(sub, "burn") == 0) {
        char name[32];
        snprintf(name, sizeof name, "card %s", sub);
        const char *allowed = strcmp(sub, "balance") == 0 ? ""
                              : strcmp(sub, "earn") == 0  ? "bt"
                                                          : "pt";
        if (!pos_main_parse_args(name, argc - 1, argv + 1, allowed, 1, &a))
            return POS_EXIT_USAGE;
        if (a.n_pos != 1) {
            fprintf(stderr,
                    _("pos-client card %s: give the bonus card's code (see pos-client --help)\n"),
                    sub);
            return POS_EXIT_USAGE;
        }
        if (strcmp(sub, "balance") == 0) {
            pos_till_card_balance(ctx->till, a.pos[0], &res);
        } else if (strcmp(sub, "earn") == 0) {
            if (!basket_arg("card earn", &a, true, &n))
                return POS_EXIT_USAGE;
            pos_till_card_earn(ctx->till, a.pos[0], n, a.txn, &res);
            int rc = pos_main_show(ctx, &res);
            print_single(ctx, "earn", &res, n, NULL);
            say_pending(ctx, &res);
            pos_till_refresh_keys(ctx->till);
            return rc;
        } else {
            if (a.points == NULL || pos_count_parse(a.points, &n) != CPN_OK) {
                fprintf(stderr, "%s",
                        _("pos-client card burn: --points must be a whole number of points from "
                          "1 up, like --points 500\n"));
                return POS_EXIT_USAGE;
            }
            pos_till_card_burn(ctx->till, a.pos[0], n, a.txn, &res);
        }
    } else if (strcmp(sub, "credit") == 0) {
        if (!pos_main_parse_args("card credit", argc - 1, argv + 1, "t", 2, &a))
            return POS_EXIT_USAGE;
        if (a.n_pos != 2) {
            fprintf(stderr, "%s",
                    _("pos-client card credit: give the bonus card's code and the receipt code "
                      "(see pos-client --help)\n"));
            return POS_EXIT_USAGE;
        }
        pos_till_card_credit(ctx->till, a.pos[0], a.pos[1], a.txn, &res);
    } else if (strcmp(sub, "void") == 0) {
        if (!pos_main_parse_args("card void", argc - 1, argv + 1, "t", 1, &a) ||
            !id_arg("card void", _("card transaction id"), a.n_pos == 1 ? a.pos[0] : NULL, &n))
            return POS_EXIT_USAGE;
        pos_till_card_void(ctx->till, n, a.txn, &res);
    } else {
        fprintf(stderr, "%s",
                _("pos-client card: say issue, balance, earn, burn, credit or void (see "
                  "pos-client --help)\n"));
        return POS_EXIT_USAGE;
    }
    return finish(ctx, &res);
}

int pos_cmd_till(struct ctx *ctx, int argc, char **argv)
{
    if (!pos_main_no_arguments(argv[0], argc))
        return POS_EXIT_USAGE;
    bool tty = isatty(STDIN_FILENO) == 1;
    if (tty) {
        struct pos_result res;
        pos_till_status(ctx->till, &res);
        printf(_("pos-client till mode. %s\n"), res.line);
        printf("%s", _("Scan the bonus card and the coupons, type the total (12.34), then pay. "
                       "Type help for more.\n"));
        fflush(stdout);
    }
    return pos_cashier_run(ctx->till, stdin, stdout, tty);
}
