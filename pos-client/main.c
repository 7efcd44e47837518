/* pos-client, the till's program for coupond: parses the command line, sets the language from
 * the locale, loads the configuration and runs one command from the command table (main_cmd.c,
 * main_journal.c) or the cashier mode, turning the outcome into one line and an exit status. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "pos/api.h"
#include "pos/i18n.h"
#include "pos/main_cmd.h"
#include "pos/main_journal.h"
#include "pos/version.h"

/* A command: NAME and ARGS for the help, what it does (a msgid), and RUN, which gets the
 * arguments from the command name on and returns an exit status. */
struct command {
    const char *name;
    const char *args;
    const char *summary;
    int (*run)(struct ctx *ctx, int argc, char **argv);
};

static const struct command commands[] = {
    {"status", "", N_("show which terminal and store the coupon service sees"), pos_cmd_status},
    {"keys", "", N_("fetch the service's public verification keys into the state directory"),
     pos_cmd_keys},
    {"check", "CODE [--basket 12.34] [--card CARD]", N_("check a coupon without redeeming it"),
     pos_cmd_check},
    {"redeem", "CODE --basket 12.34 [--card CARD] [--vat 1=10.00,2=2.34] [--txn ID]",
     N_("redeem a coupon (--vat: the basket per VAT rate key)"), pos_cmd_redeem},
    {"void", "REDEMPTION_ID [--txn ID]", N_("reverse a redemption"), pos_cmd_void},
    {"return", "REDEMPTION_ID 33.33 [--txn ID]",
     N_("book goods of a redeemed basket that came back (the coupon stays used)"), pos_cmd_return},
    {"card", "issue", N_("issue a new bonus card"), pos_cmd_card},
    {"card", "balance CARD", N_("show a bonus card's points"), pos_cmd_card},
    {"card", "earn CARD --basket 12.34 [--txn ID]", N_("book points for a purchase"), pos_cmd_card},
    {"card", "burn CARD --points N [--txn ID]", N_("burn points (1 point = 1 cent off)"),
     pos_cmd_card},
    {"card", "credit CARD RECEIPT_CODE [--txn ID]",
     N_("credit the points of a purchase made without the card (its receipt code)"), pos_cmd_card},
    {"card", "void TRANSACTION_ID [--txn ID]", N_("reverse an earn or a burn"), pos_cmd_card},
    {"pending", "", N_("list the transactions that got no answer (nothing is sent)"),
     pos_cmd_pending},
    {"retry", "[TXN_ID]",
     N_("settle the transactions that got no answer (each is booked at most once)"), pos_cmd_retry},
    {"sync", "", N_("send the calls accepted offline to the coupon service (each booked once)"),
     pos_cmd_sync},
    {"closing", "[DAY]",
     N_("compare the service's day closing (default today) with this till's journal"),
     pos_cmd_closing},
    {"journal", "", N_("check this till's journal (its SHA-256 chain) and list what is open"),
     pos_cmd_journal},
    {"till", "", N_("cashier mode: codes and commands from standard input (alias: interactive)"),
     pos_cmd_till},
    {"interactive", NULL, NULL, pos_cmd_till},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* Prints the help to OUT. */
static void usage(FILE *out)
{
    fprintf(out, "%s",
            _("Usage: pos-client [--config FILE] [--printer FILE|DEVICE] [--receipt FILE|-] "
              "[--verbose] [COMMAND [ARGS]]\n"
              "The till's program for coupond: checks and redeems coupons, books bonus-card "
              "points.\n\nCommands:\n"));
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
        fprintf(out, "  %-24s %s\n", synopsis, _(c->summary));
    }
    fprintf(out,
            _("\nCODE and CARD are the short form (XXXX-XXXX-XXXX-XXXX; case, spaces and dashes "
              "do\nnot matter) or the QR text. Amounts are euros: 12, 12.3, 12.34 or 12,34.\n"
              "Without a command and with a terminal on standard input, pos-client starts the "
              "till\nmode.\n"
              "\nOptions:\n"
              "  -c, --config FILE  configuration file (default %s)\n"
              "  -p, --printer FILE|DEVICE\n"
              "                     print receipts there as ESC/POS (redeem, card earn, till "
              "mode)\n"
              "  -r, --receipt FILE|-\n"
              "                     write receipts there as text (- for standard output)\n"
              "  -v, --verbose      add the technical cause to every failure message\n"
              "  -h, --help         show this help\n"
              "  -V, --version      show the version\n"
              "\nThe environment overrides the file: POS_URL, POS_CA, POS_CERT, POS_KEY, "
              "POS_STATE,\nPOS_TIMEOUT_MS, POS_CONNECT_TIMEOUT_MS, POS_JOURNAL_MAX_BYTES, "
              "POS_OFFLINE_MAX_DISCOUNT,\nPOS_OFFLINE_MAX_COUNT, POS_OFFLINE_MAX_HOURS, "
              "POS_PRINTER, POS_RECEIPT.\n"
              "The language follows the locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG): German "
              "for\nde_DE.UTF-8, English otherwise.\n"
              "\nWhen the coupon service cannot be reached, a scanned (signed) coupon is "
              "accepted\noffline within the till's limits and sent later by pos-client sync.\n"
              "\nEvery command books a new transaction; one that got no answer stays pending in "
              "the\njournal until pos-client retry settles it.\n"
              "\nExit status: 0 done; 1 refused (by the coupon service, or by the till before\n"
              "asking: a typo, a forged code); 2 usage, configuration or local state error;\n"
              "3 coupon service unreachable, too slow or failing: try again.\n"),
            POS_CONFIG_DEFAULT_PATH);
}

/* Replaces the string *SLOT of a configuration with a copy of VALUE. Returns false when out of
 * memory. */
static bool override(char **slot, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return false;
    free(*slot);
    *slot = copy;
    return true;
}

/* Loads the configuration (PATH from --config, or NULL; PRINTER and RECEIPT from the command
 * line override it when not NULL), sets up a till and runs CMD with the ARGC arguments at ARGV
 * (the command name first). Returns the exit status. */
static int run(const struct command *cmd, const char *path, const char *printer,
               const char *receipt, bool verbose, int argc, char **argv)
{
    char msg[512];
    struct pos_config *cfg = NULL;
    if (pos_config_load(path, path != NULL, &cfg, msg, sizeof msg) != CPN_OK) {
        fprintf(stderr, "pos-client: %s\n", msg);
        return POS_EXIT_USAGE;
    }
    if ((printer != NULL && !override(&cfg->printer, printer)) ||
        (receipt != NULL && !override(&cfg->receipt, receipt))) {
        fprintf(stderr, "%s", _("pos-client: out of memory\n"));
        pos_config_free(cfg);
        return POS_EXIT_UNAVAILABLE;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "%s", _("pos-client: libcurl cannot start\n"));
        pos_config_free(cfg);
        return POS_EXIT_UNAVAILABLE;
    }
    struct pos_api *api = pos_api_new(cfg);
    struct ctx ctx = {.cfg = cfg, .till = NULL, .verbose = verbose};
    int rc;
    if (api == NULL) {
        fprintf(stderr, "%s",
                _("pos-client: cannot set up HTTPS (out of memory, or libcurl lacks HTTPS or TLS "
                  "1.2)\n"));
        rc = POS_EXIT_UNAVAILABLE;
    } else if ((ctx.till = pos_till_new(cfg, api, verbose)) == NULL) {
        fprintf(stderr, "%s", _("pos-client: out of memory\n"));
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
        {"printer", required_argument, NULL, 'p'},
        {"receipt", required_argument, NULL, 'r'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    pos_i18n_init(getenv("POS_LOCALEDIR"));
    const char *path = NULL, *printer = NULL, *receipt = NULL;
    bool verbose = false;
    int opt;
    /* A leading '+' stops at the command, so its own options are left to it. */
    while ((opt = getopt_long(argc, argv, "+c:p:r:vhV", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'p':
            printer = optarg;
            break;
        case 'r':
            receipt = optarg;
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
            fprintf(stderr, "%s", _("pos-client: see pos-client --help\n"));
            return POS_EXIT_USAGE;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    if (optind >= argc) {
        /* No command: the till mode for a person at a terminal, the help for anyone else. */
        if (isatty(STDIN_FILENO) == 1) {
            static char till_name[] = "till";
            char *till_argv[] = {till_name, NULL};
            static const struct command till = {"till", "", "", pos_cmd_till};
            return run(&till, path, printer, receipt, verbose, 1, till_argv);
        }
        usage(stderr);
        return POS_EXIT_USAGE;
    }
    const char *name = argv[optind];
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return run(&commands[i], path, printer, receipt, verbose, argc - optind, argv + optind);
    fprintf(stderr, _("pos-client: unknown command '%s' (see pos-client --help)\n"), name);
    return POS_EXIT_USAGE;
}
