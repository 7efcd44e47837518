/* The till's state directory: creating it privately and naming the files in it (they are replaced
 * atomically, so a crash or power cut leaves either the old or the new file, never half of one,
 * by libcoupon's cpn_file_replace, coupon/file.h). */
#ifndef POS_STATE_H
#define POS_STATE_H

#include <stddef.h>

#include "coupon/err.h"

/* Room for a UTC time in RFC 3339 ("2026-11-22T20:09:04Z") and its NUL. */
#define POS_TIME_SIZE 32

/* Writes the current UTC time in RFC 3339, to the second, into BUF. */
void pos_state_now(char buf[POS_TIME_SIZE]);

/* Creates directory DIR and any missing parents with mode 0700 (existing ones are left as they
 * are). Returns CPN_OK when DIR exists as a directory afterwards; CPN_ERR_IO with errno set
 * otherwise; CPN_ERR_NO_MEMORY. */
CPN_MUST_CHECK enum cpn_err pos_state_mkdir(const char *dir);

/* Writes "DIR/NAME" into BUF (BUF_SIZE bytes). Returns CPN_OK, or CPN_ERR_IO with errno set to
 * ENAMETOOLONG when it does not fit (BUF then holds an empty string). */
CPN_MUST_CHECK enum cpn_err pos_state_path(char *buf, size_t buf_size, const char *dir,
                                           const char *name);

#endif
