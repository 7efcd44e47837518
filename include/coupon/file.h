/* Files written so that a crash leaves the old or the new content, never a mix (lib/file.c):
 * the one atomic file writer of coupond and pos-client. */
#ifndef COUPON_FILE_H
#define COUPON_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "coupon/err.h"

/* Writes all LEN bytes of BUF to FD, going on after EINTR and short writes. Returns 0, or -1
 * with errno set (some bytes may have been written). */
CPN_MUST_CHECK int cpn_file_write_all(int fd, const void *buf, size_t len);

/* Puts LEN bytes of DATA into DIR/NAME atomically: a temporary file in DIR is written with
 * MODE, synced and then renamed over NAME (EXCLUSIVE false) or linked to NAME (EXCLUSIVE true:
 * CPN_ERR_CONFLICT when NAME exists, which is left alone); then DIR is synced, so the new name
 * survives a crash. Returns CPN_OK; CPN_ERR_CONFLICT; or CPN_ERR_IO with errno set, DIR/NAME
 * then as before and no temporary file left behind. DATA is not kept (wiping it is the
 * caller's business). */
CPN_MUST_CHECK enum cpn_err cpn_file_replace(const char *dir, const char *name, const void *data,
                                             size_t len, mode_t mode, bool exclusive);

/* Syncs directory DIR, so names linked, renamed or removed in it last survive a crash.
 * Returns CPN_OK, or CPN_ERR_IO with errno set. */
CPN_MUST_CHECK enum cpn_err cpn_file_sync_dir(const char *dir);

#endif
