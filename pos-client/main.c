/* pos-client, the till's program for coupond: parses the command line, loads the configuration
 * and runs one command from the command table, turning the outcome into an exit status. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "api.h"
#include "config.h"
#include "keys.h"
#include "version.h"

/* Exit statuses, documented in --help and docs/cashier.md. */
enum {
    POS_EXIT_OK = 0,          /* done */
    POS_EXIT_REFUSED = 1,     /* the service said no (4xx): show the message, do not retry */
    POS_EXIT_USAGE = 2,       /* bad command line, configuration or local state */
    POS_EXIT_UNAVAILABLE = 3, /* unreachable, too slow, or failing (5xx): try again later */
};

/* What every command gets: the loaded configuration and a client for the service. */
struct ctx {
    const struct pos_config *cfg;
    struct pos_api *api;
    bool verbose;
};

/* A command: NAME and ARGS for the help, what it does, and RUN, which gets the arguments after
 * the command name and returns an exit status. RUN is NULL for commands still to come. */
struct command {
    const char *name;
    const char *args;
    const char *summary;
    int (*run)(struct ctx *ctx, int argc, char **argv);
};

static int cmd_status(struct ctx *ctx, int argc, char **argv);
static int cmd_keys(struct ctx *ctx, int argc, char **argv);

static const struct command commands[] = {
    {"status", "", "show which terminal and store the coupon service sees", cmd_status},
    {"keys", "", "fetch the service's public verification keys into the state directory", cmd_keys},
    {"check", "CODE", "check a coupon without redeeming it", NULL},
    {"redeem", "CODE --basket 12.34 [--card N] [--txn ID]", "redeem a coupon", NULL},
    {"void", "ID", "reverse a redemption", NULL},
    {"card", "balance|earn|burn ...", "bonus-card balance and points", NULL},
    {"interactive", "", "cashier mode: scanned codes from standard input, one line each", NULL},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* Prints the help to OUT. */
static void usage(FILE *out)
{
    fprintf(out, "Usage: pos-client [--config FILE] [--verbose] COMMAND [ARGS]\n"
                 "The till's program for coupond: checks and redeems coupons, books bonus-card "
                 "points.\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const struct command *c = &commands[i];
        char synopsis[128];
        snprintf(synopsis, sizeof synopsis, "%s%s%s", c->name, c->args[0] != '\0' ? " " : "",
                 c->args);
        /* A long synopsis gets a line of its own. */
        if (strlen(synopsis) > 24) {
            fprintf(out, "  %s\n", synopsis);
            synopsis[0] = '\0';
        }
        fprintf(out, "  %-24s %s%s\n", synopsis, c->run == NULL ? "(coming) " : "", c->summary);
    }
    fprintf(out,
            "\nOptions:\n"
            "  -c, --config FILE  configuration file (default " POS_CONFIG_DEFAULT_PATH ")\n"
            "  -v, --verbose      add the technical cause to every failure message\n"
            "  -h, --help         show this help\n"
            "  -V, --version      show the version\n"
            "\nThe environment overrides the file: POS_URL, POS_CA, POS_CERT, POS_KEY, POS_STATE,\n"
            "POS_TIMEOUT_MS, POS_CONNECT_TIMEOUT_MS.\n"
            "\nExit status: 0 done; 1 refused by the coupon service; 2 usage, configuration or\n"
            "local state error; 3 coupon service unreachable, too slow or failing.\n");
}

/* Prints API's failure message for the cashier to standard error, with the technical cause
 * after a dash when CTX is verbose, and returns the exit status for ERR and HTTP STATUS. */
static int report_failure(const struct ctx *ctx, enum cpn_err err, long status)
{
    const char *detail = pos_api_detail(ctx->api);
    if (ctx->verbose && detail[0] != '\0')
        fprintf(stderr, "%s — %s\n", pos_api_message(ctx->api), detail);
    else
        fprintf(stderr, "%s\n", pos_api_message(ctx->api));
    /* 408 and 429 are "not now" rather than "no". */
    if (status >= 400 && status < 500 && status != 408 && status != 429)
        return POS_EXIT_REFUSED;
    if (err == CPN_ERR_IO) /* the CA, certificate or key file cannot be used */
        return POS_EXIT_USAGE;
    return POS_EXIT_UNAVAILABLE;
}

/* Reports an answer that came with 2xx but does not say what it should (WHY, for IT), and
 * returns the exit status for it. */
static int report_unreadable(const struct ctx *ctx, const char *why)
{
    if (ctx->verbose)
        fprintf(stderr,
                "The coupon service's answer cannot be read by this till: please call IT."
                " — %s\n",
                why);
    else
        fprintf(stderr, "The coupon service's answer cannot be read by this till: please call "
                        "IT.\n");
    return POS_EXIT_UNAVAILABLE;
}

/* Returns false (after printing a usage message) when the command NAME got arguments: ARGC
 * counts them with the command name. */
static bool no_arguments(const char *name, int argc)
{
    if (argc <= 1)
        return true;
    fprintf(stderr, "pos-client: '%s' takes no arguments (see pos-client --help)\n", name);
    return false;
}

/* `status`: asks GET /v1/whoami and prints who the service takes this till for. */
static int cmd_status(struct ctx *ctx, int argc, char **argv)
{
    if (!no_arguments(argv[0], argc))
        return POS_EXIT_USAGE;
    long status;
    json_t *who;
    enum cpn_err err = pos_api_call(ctx->api, "GET", "/v1/whoami", NULL, &status, &who);
    if (err != CPN_OK) {
        json_decref(who);
        return report_failure(ctx, err, status);
    }
    const char *role = json_string_value(json_object_get(who, "role"));
    const char *name = json_string_value(json_object_get(who, "name"));
    const json_t *store = json_object_get(who, "store");
    int rc = POS_EXIT_OK;
    if (role == NULL || name == NULL)
        rc = report_unreadable(ctx, "GET /v1/whoami: no \"role\" and \"name\" strings");
    else if (json_is_integer(store))
        printf("coupond at %s sees %s %s of store %" JSON_INTEGER_FORMAT "\n", ctx->cfg->url, role,
               name, json_integer_value(store));
    else
        printf("coupond at %s sees %s %s\n", ctx->cfg->url, role, name);
    json_decref(who);
    return rc;
}

/* `keys`: fetches GET /v1/keys and keeps the keys in the state directory. */
static int cmd_keys(struct ctx *ctx, int argc, char **argv)
{
    if (!no_arguments(argv[0], argc))
        return POS_EXIT_USAGE;
    long status;
    json_t *answer;
    enum cpn_err err = pos_api_call(ctx->api, "GET", "/v1/keys", NULL, &status, &answer);
    if (err != CPN_OK) {
        json_decref(answer);
        return report_failure(ctx, err, status);
    }
    size_t count = 0;
    char why[256] = "";
    err = pos_keys_save(ctx->cfg->state_dir, ctx->cfg->url, answer, &count, why, sizeof why);
    json_decref(answer);
    switch (err) {
    case CPN_OK:
        printf("Saved %zu verification key%s from %s in %s/" POS_KEYS_FILE "\n", count,
               count == 1 ? "" : "s", ctx->cfg->url, ctx->cfg->state_dir);
        return POS_EXIT_OK;
    case CPN_ERR_INTERNAL:
        return report_unreadable(ctx, why);
    case CPN_ERR_IO:
        fprintf(stderr, "pos-client: cannot save the keys in %s: %s\n", ctx->cfg->state_dir,
                strerror(errno));
        return POS_EXIT_USAGE;
    default:
        fprintf(stderr, "pos-client: out of memory; the keys were not saved\n");
        return POS_EXIT_UNAVAILABLE;
    }
}

/* Loads the configuration (PATH from --config, or NULL), sets up a client and runs CMD with the
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
    struct ctx ctx = {.cfg = cfg, .api = pos_api_new(cfg), .verbose = verbose};
    int rc;
    if (ctx.api == NULL) {
        fprintf(stderr, "pos-client: cannot set up HTTPS (out of memory, or libcurl lacks "
                        "HTTPS or TLS 1.2)\n");
        rc = POS_EXIT_UNAVAILABLE;
    } else {
        rc = cmd->run(&ctx, argc, argv);
    }
    pos_api_free(ctx.api);
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
    if (optind >= argc) {
        usage(stderr);
        return POS_EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *name = argv[optind];
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) != 0)
            continue;
        if (commands[i].run == NULL) {
            fprintf(stderr, "pos-client: '%s' is coming in a later version\n", name);
            return POS_EXIT_USAGE;
        }
        return run(&commands[i], path, verbose, argc - optind, argv + optind);
    }
    fprintf(stderr, "pos-client: unknown command '%s' (see pos-client --help)\n", name);
    return POS_EXIT_USAGE;
}
