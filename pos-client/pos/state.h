/* The till's state directory: creating it privately and replacing files in it atomically, so a
 * crash or power cut leaves either the old or the new file, never half of one. */
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

/* Flushes DIR's entries (new, renamed files) to disk. Returns CPN_OK or CPN_ERR_IO with errno
 * set. */
CPN_MUST_CHECK enum cpn_err pos_state_sync_dir(const char *dir);

/* Writes all LEN bytes of BUF to FD, retrying short writes and EINTR. Returns 0, or -1 with
 * errno set (then some of BUF may have been written). */
CPN_MUST_CHECK int pos_state_write_all(int fd, const void *buf, size_t len);

/* Replaces DIR/NAME with the LEN bytes of DATA (mode 0600), creating DIR as pos_state_mkdir()
 * does: the data goes to a temporary file in DIR, is synced, renamed over NAME, and DIR is
 * synced. Returns CPN_OK; CPN_ERR_IO with errno set (then DIR/NAME is unchanged and no temporary
 * file is left); CPN_ERR_NO_MEMORY. */
CPN_MUST_CHECK enum cpn_err pos_state_write_atomic(const char *dir, const char *name,
                                                   const void *data, size_t len);

#endif
