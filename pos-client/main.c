/* pos-client, the till's program for coupond: parses the command line, loads the configuration
 * and runs one command from the command table (or the cashier mode), turning the outcome into one
 * line and an exit status. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api.h"
#include "cashier.h"
#include "config.h"
#include "money.h"
#include "till.h"
#include "version.h"

/* What every command gets: the loaded configuration and the till. */
struct ctx {
    const struct pos_config *cfg;
    struct pos_till *till;
    bool verbose;
};

/* A command: NAME and ARGS for the help, what it does, and RUN, which gets the arguments from
 * the command name on and returns an exit status. */
struct command {
    const char *name;
    const char *args;
    const char *summary;
    int (*run)(struct ctx *ctx, int argc, char **argv);
};

static int cmd_status(struct ctx *ctx, int argc, char **argv);
static int cmd_keys(struct ctx *ctx, int argc, char **argv);
static int cmd_check(struct ctx *ctx, int argc, char **argv);
static int cmd_redeem(struct ctx *ctx, int argc, char **argv);
static int cmd_void(struct ctx *ctx, int argc, char **argv);
static int cmd_card(struct ctx *ctx, int argc, char **argv);
static int cmd_till(struct ctx *ctx, int argc, char **argv);
static int cmd_retry(struct ctx *ctx, int argc, char **argv);
static int cmd_pending(struct ctx *ctx, int argc, char **argv);
static int cmd_sync(struct ctx *ctx, int argc, char **argv);
static int cmd_closing(struct ctx *ctx, int argc, char **argv);
static int cmd_journal(struct ctx *ctx, int argc, char **argv);

static const struct command commands[] = {
    {"status", "", "show which terminal and store the coupon service sees", cmd_status},
    {"keys", "", "fetch the service's public verification keys into the state directory", cmd_keys},
    {"check", "CODE [--basket 12.34] [--card CARD]", "check a coupon without redeeming it",
     cmd_check},
    {"redeem", "CODE --basket 12.34 [--card CARD] [--txn ID]", "redeem a coupon", cmd_redeem},
    {"void", "REDEMPTION_ID [--txn ID]", "reverse a redemption", cmd_void},
    {"card", "issue", "issue a new bonus card", cmd_card},
    {"card", "balance CARD", "show a bonus card's points", cmd_card},
    {"card", "earn CARD --basket 12.34 [--txn ID]", "book points for a purchase", cmd_card},
    {"card", "burn CARD --points N [--txn ID]", "burn points (1 point = 1 cent off)", cmd_card},
    {"card", "void TRANSACTION_ID [--txn ID]", "reverse an earn or a burn", cmd_card},
    {"pending", "", "list the transactions that got no answer (nothing is sent)", cmd_pending},
    {"retry", "[TXN_ID]",
     "settle the transactions that got no answer (each is booked at most once)", cmd_retry},
    {"sync", "", "send the calls accepted offline to the coupon service (each booked once)",
     cmd_sync},
    {"closing", "[DAY]",
     "compare the service's day closing (default today) with this till's journal", cmd_closing},
    {"journal", "", "check this till's journal (its SHA-256 chain) and list what is open",
     cmd_journal},
    {"till", "", "cashier mode: codes and commands from standard input (alias: interactive)",
     cmd_till},
    {"interactive", NULL, NULL, cmd_till},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* Prints the help to OUT. */
static void usage(FILE *out)
{
    fprintf(out, "Usage: pos-client [--config FILE] [--verbose] [COMMAND [ARGS]]\n"
                 "The till's program for coupond: checks and redeems coupons, books bonus-card "
                 "points.\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const struct command *c = &commands[i];
        if (c->summary == NULL)
            continue; /* an alias */
        char synopsis[128];
        snprintf(synopsis, sizeof synopsis, "%s%s%s", c->name, c->args[0] != '\0' ? " " : "",
                 c->args);
        /* A long synopsis gets a line of its own. */
        if (strlen(synopsis) > 24) {
            fprintf(out, "  %s\n", synopsis);
            synopsis[0] = '\0';
        }
        fprintf(out, "  %-24s %s\n", synopsis, c->summary);
    }
    fprintf(
        out,
        "\nCODE and CARD are the short form (XXXX-XXXX-XXXX-XXXX; case, spaces and dashes do\n"
        "not matter) or the QR text. Amounts are euros: 12, 12.3, 12.34 or 12,34.\n"
        "Without a command and with a terminal on standard input, pos-client starts the till\n"
        "mode.\n"
        "\nOptions:\n"
        "  -c, --config FILE  configuration file (default " POS_CONFIG_DEFAULT_PATH ")\n"
        "  -v, --verbose      add the technical cause to every failure message\n"
        "  -h, --help         show this help\n"
        "  -V, --version      show the version\n"
        "\nThe environment overrides the file: POS_URL, POS_CA, POS_CERT, POS_KEY, POS_STATE,\n"
        "POS_TIMEOUT_MS, POS_CONNECT_TIMEOUT_MS, POS_JOURNAL_MAX_BYTES, POS_OFFLINE_MAX_DISCOUNT,\n"
        "POS_OFFLINE_MAX_COUNT, POS_OFFLINE_MAX_HOURS.\n"
        "\nWhen the coupon service cannot be reached, a scanned (signed) coupon is accepted\n"
        "offline within the till's limits and sent later by pos-client sync.\n"
        "\nEvery command books a new transaction; one that got no answer stays pending in the\n"
        "journal until pos-client retry settles it.\n"
        "\nExit status: 0 done; 1 refused (by the coupon service, or by the till before\n"
        "asking: a typo, a forged code); 2 usage, configuration or local state error;\n"
        "3 coupon service unreachable, too slow or failing: try again.\n");
}

/* Prints RES's line: on standard output for a result (done, refused, or checked offline), on
 * standard error for a failure, with the technical cause when CTX is verbose. Returns RES's exit
 * status. */
static int show(const struct ctx *ctx, const struct pos_result *res)
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
                    "NOTE: %zu earlier transaction%s of this till got no answer and %s pending: "
                    "run pos-client retry to settle %s (pos-client pending lists %s).\n",
                    n, n == 1 ? "" : "s", n == 1 ? "is" : "are", n == 1 ? "it" : "them",
                    n == 1 ? "it" : "them");
    }
    pos_journal_state_free(&s);
}

/* Shows RES and what else is pending, then refreshes the keys when they are old (after the line,
 * so the cashier does not wait). Returns RES's exit status. */
static int finish(struct ctx *ctx, const struct pos_result *res)
{
    int rc = show(ctx, res);
    say_pending(ctx, res);
    pos_till_refresh_keys(ctx->till);
    return rc;
}

/* A command's options and positional arguments. */
struct args {
    const char *pos[4];
    int n_pos;
    const char *basket, *card, *txn, *points;
};

/* Parses the ARGC arguments at ARGV (after ARGV[0]) of the command NAME into *A, allowing
 * the options named in ALLOWED ('b' --basket, 'k' --card, 't' --txn, 'p' --points) and at most
 * MAX_POS positional arguments. Returns false after printing a usage message. */
static bool parse_args(const char *name, int argc, char **argv, const char *allowed, int max_pos,
                       struct args *a)
{
    static const struct option options[] = {
        {"basket", required_argument, NULL, 'b'},
        {"card", required_argument, NULL, 'k'},
        {"txn", required_argument, NULL, 't'},
        {"points", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    optind = 0; /* glibc: start over, for this argument vector */
    opterr = 0;
    int opt, index = -1;
    while ((opt = getopt_long(argc, argv, "-", options, &index)) != -1) {
        if (opt == 1) {
            if (a->n_pos == max_pos || a->n_pos == (int)(sizeof a->pos / sizeof a->pos[0])) {
                fprintf(stderr, "pos-client %s: unexpected argument '%s' (see pos-client --help)\n",
                        name, optarg);
                return false;
            }
            a->pos[a->n_pos++] = optarg;
            continue;
        }
        if (opt == '?' || opt == ':') {
            fprintf(stderr,
                    "pos-client %s: unknown option, or one without its value: '%s' (see "
                    "pos-client --help)\n",
                    name, argv[optind - 1]);
            return false;
        }
        if (strchr(allowed, opt) == NULL) {
            fprintf(stderr,
                    "pos-client %s: --%s does not go with this command (see pos-client "
                    "--help)\n",
                    name, index >= 0 ? options[index].name : "?");
            return false;
        }
        index = -1;
        const char **slot = opt == 'b'   ? &a->basket
                            : opt == 'k' ? &a->card
                            : opt == 't' ? &a->txn
                                         : &a->points;
        *slot = optarg;
    }
    return true;
}

/* Parses A's basket (REQUIRED or else 0 when absent) into *CENTS. Returns false after printing
 * a usage message. */
static bool basket_arg(const char *name, const struct args *a, bool required, int64_t *cents)
{
    *cents = 0;
    if (a->basket == NULL) {
        if (required)
            fprintf(stderr, "pos-client %s: --basket is required, like --basket 12.34\n", name);
        return !required;
    }
    if (pos_money_parse(a->basket, cents) != CPN_OK) {
        fprintf(stderr,
                "pos-client %s: --basket must be an amount in euros like 12.34 or 12,34 (at most "
                "two decimals, not negative), not '%s'\n",
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
    fprintf(stderr, "pos-client %s: give the %s as a whole number%s%s%s\n", name, what,
            text != NULL ? ", not '" : "", text != NULL ? text : "", text != NULL ? "'" : "");
    return false;
}

/* Returns false (after a usage message) when the command NAME got arguments. */
static bool no_arguments(const char *name, int argc)
{
    if (argc <= 1)
        return true;
    fprintf(stderr, "pos-client: '%s' takes no arguments (see pos-client --help)\n", name);
    return false;
}

/* `status`: who the service takes this till for. */
static int cmd_status(struct ctx *ctx, int argc, char **argv)
{
    if (!no_arguments(argv[0], argc))
        return POS_EXIT_USAGE;
    struct pos_result res;
    pos_till_status(ctx->till, &res);
    return finish(ctx, &res);
}

/* `keys`: fetches GET /v1/keys into the state directory. */
static int cmd_keys(struct ctx *ctx, int argc, char **argv)
{
    if (!no_arguments(argv[0], argc))
        return POS_EXIT_USAGE;
    struct pos_result res;
    pos_till_fetch_keys(ctx->till, &res);
    return show(ctx, &res);
}

/* `check CODE [--basket 12.34] [--card CARD]`. */
static int cmd_check(struct ctx *ctx, int argc, char **argv)
{
    struct args a;
    int64_t basket;
    if (!parse_args(argv[0], argc, argv, "bk", 1, &a) || !basket_arg(argv[0], &a, false, &basket))
        return POS_EXIT_USAGE;
    if (a.n_pos != 1) {
        fprintf(stderr, "pos-client check: give the coupon code (see pos-client --help)\n");
        return POS_EXIT_USAGE;
    }
    struct pos_result res;
    pos_till_check(ctx->till, a.pos[0], basket, a.card, &res);
    return finish(ctx, &res);
}

/* `redeem CODE --basket 12.34 [--card CARD] [--txn ID]`. */
static int cmd_redeem(struct ctx *ctx, int argc, char **argv)
{
    struct args a;
    int64_t basket;
    if (!parse_args(argv[0], argc, argv, "bkt", 1, &a))
        return POS_EXIT_USAGE;
    if (a.n_pos != 1) {
        fprintf(stderr, "pos-client redeem: give the coupon code (see pos-client --help)\n");
        return POS_EXIT_USAGE;
    }
    if (!basket_arg(argv[0], &a, true, &basket))
        return POS_EXIT_USAGE;
    struct pos_result res;
    pos_till_redeem(ctx->till, a.pos[0], basket, a.card, a.txn, &res);
    return finish(ctx, &res);
}

/* `void REDEMPTION_ID [--txn ID]`. */
static int cmd_void(struct ctx *ctx, int argc, char **argv)
{
    struct args a;
    int64_t id;
    if (!parse_args(argv[0], argc, argv, "t", 1, &a) ||
        !id_arg(argv[0], "redemption id", a.n_pos == 1 ? a.pos[0] : NULL, &id))
        return POS_EXIT_USAGE;
    struct pos_result res;
    pos_till_void(ctx->till, id, a.txn, &res);
    return finish(ctx, &res);
}

/* `card issue|balance|earn|burn|void ...`. */
static int cmd_card(struct ctx *ctx, int argc, char **argv)
{
    const char *sub = argc >= 2 ? argv[1] : "";
    struct args a;
    struct pos_result res;
    int64_t n;
    if (strcmp(sub, "issue") == 0) {
        if (!parse_args("card issue", argc - 1, argv + 1, "", 0, &a))
            return POS_EXIT_USAGE;
        pos_till_card_issue(ctx->till, &res);
    } else if (strcmp(sub, "balance") == 0 || strcmp(sub, "earn") == 0 ||
               strcmp(sub, "burn") == 0) {
        char name[32];
        snprintf(name, sizeof name, "card %s", sub);
        const char *allowed = strcmp(sub, "balance") == 0 ? ""
                              : strcmp(sub, "earn") == 0  ? "bt"
                                                          : "pt";
        if (!parse_args(name, argc - 1, argv + 1, allowed, 1, &a))
            return POS_EXIT_USAGE;
        if (a.n_pos != 1) {
            fprintf(stderr,
                    "pos-client card %s: give the bonus card's code (see pos-client "
                    "--help)\n",
                    sub);
            return POS_EXIT_USAGE;
        }
        if (strcmp(sub, "balance") == 0) {
            pos_till_card_balance(ctx->till, a.pos[0], &res);
        } else if (strcmp(sub, "earn") == 0) {
            if (!basket_arg("card earn", &a, true, &n))
                return POS_EXIT_USAGE;
            pos_till_card_earn(ctx->till, a.pos[0], n, a.txn, &res);
        } else {
            if (a.points == NULL || pos_count_parse(a.points, &n) != CPN_OK) {
                fprintf(stderr, "pos-client card burn: --points must be a whole number of points "
                                "from 1 up, like --points 500\n");
                return POS_EXIT_USAGE;
            }
            pos_till_card_burn(ctx->till, a.pos[0], n, a.txn, &res);
        }
    } else if (strcmp(sub, "void") == 0) {
        if (!parse_args("card void", argc - 1, argv + 1, "t", 1, &a) ||
            !id_arg("card void", "card transaction id", a.n_pos == 1 ? a.pos[0] : NULL, &n))
            return POS_EXIT_USAGE;
        pos_till_card_void(ctx->till, n, a.txn, &res);
    } else {
        fprintf(stderr, "pos-client card: say issue, balance, earn, burn or void (see pos-client "
                        "--help)\n");
        return POS_EXIT_USAGE;
    }
    return finish(ctx, &res);
}

/* `retry [TXN_ID]`: settles the pending transactions (or the one named). */
static int cmd_retry(struct ctx *ctx, int argc, char **argv)
{
    struct args a;
    if (!parse_args(argv[0], argc, argv, "", 1, &a))
        return POS_EXIT_USAGE;
    const char *only = a.n_pos == 1 ? a.pos[0] : NULL;
    if (only != NULL && !pos_journal_txn_id_valid(only)) {
        fprintf(stderr,
                "pos-client retry: a txn id is 1 to %d letters, digits, '_' or '-', not '%.80s'\n",
                POS_TXN_ID_MAX, only);
        return POS_EXIT_USAGE;
    }
    int rc = pos_till_retry_all(ctx->till, only, ctx->verbose, stdout);
    pos_till_refresh_keys(ctx->till);
    return rc;
}

/* `sync`: sends the calls accepted offline. */
static int cmd_sync(struct ctx *ctx, int argc, char **argv)
{
    if (!no_arguments(argv[0], argc))
        return POS_EXIT_USAGE;
    int rc = pos_till_sync(ctx->till, ctx->verbose, false, stdout, NULL);
    pos_till_refresh_keys(ctx->till);
    return rc;
}

/* `closing [DAY]`: the service's day closing against this till's journal. */
static int cmd_closing(struct ctx *ctx, int argc, char **argv)
{
    struct args a;
    if (!parse_args(argv[0], argc, argv, "", 1, &a))
        return POS_EXIT_USAGE;
    return pos_till_closing(ctx->till, a.n_pos == 1 ? a.pos[0] : NULL, ctx->verbose, stdout);
}

/* `journal`: checks the journal's chain and lists what is open, sending nothing. */
static int cmd_journal(struct ctx *ctx, int argc, char **argv)
{
    if (!no_arguments(argv[0], argc))
        return POS_EXIT_USAGE;
    struct pos_journal_state s;
    if (pos_till_pending(ctx->till, &s) != CPN_OK) {
        fprintf(stderr, "pos-client: this till cannot read its journal in %s: %s\n",
                ctx->cfg->state_dir, strerror(errno));
        pos_journal_state_free(&s);
        return POS_EXIT_USAGE;
    }
    int rc = POS_EXIT_OK;
    if (s.damaged) {
        printf("DAMAGED: %s Nothing is sent from it (pos-client sync refuses) until IT has looked "
               "at %s/journal.log.\n",
               s.damage, ctx->cfg->state_dir);
        rc = POS_EXIT_USAGE;
    } else if (s.chained) {
        printf("The journal's SHA-256 chain holds: entries n=%llu to n=%llu of generation %llu.\n",
               (unsigned long long)s.first_seq, (unsigned long long)s.last_seq,
               (unsigned long long)s.generation);
    } else {
        printf("The journal is of version %u, without a chain (it is rotated out on the next "
               "write).\n",
               s.version);
    }
    printf("%zu call%s accepted offline wait%s for pos-client sync; %zu transaction%s got no "
           "answer (pos-client retry).\n",
           s.n_offline, s.n_offline == 1 ? "" : "s", s.n_offline == 1 ? "s" : "",
           s.n_pending - s.n_offline, s.n_pending - s.n_offline == 1 ? "" : "s");
    pos_journal_state_free(&s);
    return rc;
}

/* `pending`: lists the pending transactions without sending anything. */
static int cmd_pending(struct ctx *ctx, int argc, char **argv)
{
    if (!no_arguments(argv[0], argc))
        return POS_EXIT_USAGE;
    struct pos_journal_state s;
    if (pos_till_pending(ctx->till, &s) != CPN_OK) {
        fprintf(stderr, "pos-client: this till cannot read its journal in %s: %s\n",
                ctx->cfg->state_dir, strerror(errno));
        pos_journal_state_free(&s);
        return POS_EXIT_USAGE;
    }
    for (size_t i = 0; i < s.n_pending; i++) {
        char what[160], when[64];
        const struct pos_journal_entry *e = &s.pending[i];
        (void)pos_till_local_time(e->offline ? e->offline_at : e->time, when, sizeof when);
        printf("%s: txn %s: %s, %s %s\n", e->offline ? "OFFLINE" : "PENDING", e->txn_id,
               pos_till_describe_entry(e, what, sizeof what),
               e->offline ? "accepted offline" : "begun", when);
    }
    size_t n = s.n_pending - s.n_offline;
    if (n == 0)
        printf("Nothing pending: every transaction of this till got its answer.\n");
    else
        printf("%zu transaction%s got no answer: run pos-client retry to settle %s (each is "
               "booked at most once).\n",
               n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
    if (s.n_offline > 0)
        printf("%zu call%s accepted offline wait%s: pos-client sync sends %s.\n", s.n_offline,
               s.n_offline == 1 ? "" : "s", s.n_offline == 1 ? "s" : "",
               s.n_offline == 1 ? "it" : "them");
    pos_journal_state_free(&s);
    return POS_EXIT_OK;
}

/* `till`: the cashier mode on standard input and output. */
static int cmd_till(struct ctx *ctx, int argc, char **argv)
{
    if (!no_arguments(argv[0], argc))
        return POS_EXIT_USAGE;
    bool tty = isatty(STDIN_FILENO) == 1;
    if (tty) {
        struct pos_result res;
        pos_till_status(ctx->till, &res);
        printf("pos-client till mode. %s\n", res.line);
        printf("Scan the bonus card and the coupons, type the total (12.34), then pay. Type "
               "help for more.\n");
        fflush(stdout);
    }
    return pos_cashier_run(ctx->till, stdin, stdout, tty);
}

/* Loads the configuration (PATH from --config, or NULL), sets up a till and runs CMD with the
 * ARGC arguments at ARGV (the command name first). Returns the exit status. */
static int run(const struct command *cmd, const char *path, bool verbose, int argc, char **argv)
{
    char msg[512];
    struct pos_config *cfg = NULL;
    if (pos_config_load(path, path != NULL, &cfg, msg, sizeof msg) != CPN_OK) {
        fprintf(stderr, "pos-client: %s\n", msg);
        return POS_EXIT_USAGE;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "pos-client: libcurl cannot start\n");
        pos_config_free(cfg);
        return POS_EXIT_UNAVAILABLE;
    }
    struct pos_api *api = pos_api_new(cfg);
    struct ctx ctx = {.cfg = cfg, .till = NULL, .verbose = verbose};
    int rc;
    if (api == NULL) {
        fprintf(stderr, "pos-client: cannot set up HTTPS (out of memory, or libcurl lacks "
                        "HTTPS or TLS 1.2)\n");
        rc = POS_EXIT_UNAVAILABLE;
    } else if ((ctx.till = pos_till_new(cfg, api, verbose)) == NULL) {
        fprintf(stderr, "pos-client: out of memory\n");
        rc = POS_EXIT_UNAVAILABLE;
    } else {
        rc = cmd->run(&ctx, argc, argv);
    }
    pos_till_free(ctx.till);
    pos_api_free(api);
    curl_global_cleanup();
    pos_config_free(cfg);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    bool verbose = false;
    int opt;
    /* A leading '+' stops at the command, so its own options are left to it. */
    while ((opt = getopt_long(argc, argv, "+c:vhV", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            usage(stdout);
            return POS_EXIT_OK;
        case 'V':
            printf("pos-client %s (%s)\n", POS_VERSION, curl_version());
            return POS_EXIT_OK;
        default:
            fprintf(stderr, "pos-client: see pos-client --help\n");
            return POS_EXIT_USAGE;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    if (optind >= argc) {
        /* No command: the till mode for a person at a terminal, the help for anyone else. */
        if (isatty(STDIN_FILENO) == 1) {
            static char till_name[] = "till";
            char *till_argv[] = {till_name, NULL};
            static const struct command till = {"till", "", "", cmd_till};
            return run(&till, path, verbose, 1, till_argv);
        }
        usage(stderr);
        return POS_EXIT_USAGE;
    }
    const char *name = argv[optind];
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return run(&commands[i], path, verbose, argc - optind, argv + optind);
    fprintf(stderr, "pos-client: unknown command '%s' (see pos-client --help)\n", name);
    return POS_EXIT_USAGE;
}
