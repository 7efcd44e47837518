/* What pos-client's commands share (main*.c, the program alone: the library has none of it): the
 * context every command gets, the parsing of a command's arguments, showing a result, and the
 * till's operations (main_cmd.c; the journal's commands are in main_journal.h). */
#ifndef POS_MAIN_CMD_H
#define POS_MAIN_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "pos/config.h"
#include "pos/till.h"

/* What every command gets: the loaded configuration and the till. */
struct ctx {
    const struct pos_config *cfg;
    struct pos_till *till;
    bool verbose;
};

/* A command's options and positional arguments. */
struct args {
    const char *pos[4];
    int n_pos;
    const char *basket, *card, *txn, *points, *vat;
};

/* Parses the ARGC arguments at ARGV (after ARGV[0]) of the command NAME into *A, allowing the
 * options named in ALLOWED ('b' --basket, 'k' --card, 't' --txn, 'p' --points, 'v' --vat) and at
 * most MAX_POS positional arguments. Returns false after printing a usage message. */
bool pos_main_parse_args(const char *name, int argc, char **argv, const char *allowed, int max_pos,
                         struct args *a);

/* Returns false (after a usage message) when the command NAME got arguments. */
bool pos_main_no_arguments(const char *name, int argc);

/* Prints RES's line: on standard output for a result (done, refused, or checked offline), on
 * standard error for a failure, with the technical cause when CTX is verbose. Returns RES's exit
 * status. */
int pos_main_show(const struct ctx *ctx, const struct pos_result *res);

/* The commands: each gets the arguments from the command name on and returns an exit status. */
int pos_cmd_status(struct ctx *ctx, int argc, char **argv);
int pos_cmd_keys(struct ctx *ctx, int argc, char **argv);
int pos_cmd_check(struct ctx *ctx, int argc, char **argv);
int pos_cmd_redeem(struct ctx *ctx, int argc, char **argv);
int pos_cmd_void(struct ctx *ctx, int argc, char **argv);
int pos_cmd_return(struct ctx *ctx, int argc, char **argv);
int pos_cmd_card(struct ctx *ctx, int argc, char **argv);
int pos_cmd_till(struct ctx *ctx, int argc, char **argv);

#endif
