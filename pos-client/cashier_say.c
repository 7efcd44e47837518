/* The cashier mode's one way of speaking: a line to the cashier, flushed at once. A leaf that
 * every cashier*.c file calls, so that none of them calls back into the input loop (cashier.c). */
#include <stdarg.h>
#include <stdio.h>

#include "pos/cashier_internal.h"

void pos_cashier_say(struct pos_cashier_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(s->out, fmt, ap);
    va_end(ap);
    fputc('\n', s->out);
    fflush(s->out);
}
