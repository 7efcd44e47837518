/* pos-client's commands on the till's journal (main_journal.c): pending, retry, sync, closing
 * and journal. */
#ifndef POS_MAIN_JOURNAL_H
#define POS_MAIN_JOURNAL_H

#include "pos/main_cmd.h"

/* The journal's commands: each gets the arguments from the command name on and returns an exit
 * status. */
int pos_cmd_retry(struct ctx *ctx, int argc, char **argv);
int pos_cmd_pending(struct ctx *ctx, int argc, char **argv);
int pos_cmd_sync(struct ctx *ctx, int argc, char **argv);
int pos_cmd_closing(struct ctx *ctx, int argc, char **argv);
int pos_cmd_journal(struct ctx *ctx, int argc, char **argv);

#endif
