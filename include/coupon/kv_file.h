/* `key = value` files (lib/kv_file.c): the one reader of coupond's and pos-client's
 * configuration files. A line is a setting "key = value" (white space around either is
 * dropped), a comment (first character '#') or empty; lines may be of any length. */
#ifndef COUPON_KV_FILE_H
#define COUPON_KV_FILE_H

#include <stddef.h>

#include "coupon/err.h"

/* Takes one setting of line LINENO: KEY and VALUE are trimmed, NUL-terminated and only valid
 * during the call (VALUE may be ""). Returns 0 to go on, or -1 with one sentence in MSG (of
 * MSGLEN bytes) to stop the reading. */
typedef int (*cpn_kv_fn)(void *ctx, const char *key, const char *value, unsigned lineno, char *msg,
                         size_t msglen);

/* Reads the file at PATH and calls FN(CTX, ...) for each setting in order. Returns CPN_OK
 * after the last line; CPN_ERR_IO when PATH cannot be opened or read ("cannot read PATH:
 * reason" in ERRBUF); or CPN_ERR_BAD_REQUEST at the first line that is not a setting, holds a
 * NUL byte or that FN refused ("PATH:LINENO: what": "expected 'key = value', not '<the
 * line's first 60 bytes>'", or FN's sentence), with the settings before it taken. */
CPN_MUST_CHECK enum cpn_err cpn_kv_file_read(const char *path, cpn_kv_fn fn, void *ctx,
                                             char *errbuf, size_t errlen);

#endif
