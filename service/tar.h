/* POSIX ustar archives written in pieces (tar.c): an entry at a time, then the end; what the
 * QR export streams. */
#ifndef SVC_TAR_H
#define SVC_TAR_H

#include <stddef.h>

#define TAR_BLOCK 512

/* A new buffer holding the ustar entry of regular file NAME (1 to 99 bytes) with the SIZE
 * bytes of DATA: its header (mode 0644, owner 0, mtime 0 for reproducible archives), DATA and
 * zero padding to a multiple of TAR_BLOCK; *LEN gets its length. The caller frees it. NULL
 * when NAME does not fit or out of memory. */
char *tar_entry(const char *name, const void *data, size_t size, size_t *len);

/* A new buffer with the end of an archive (two zero blocks; *LEN gets 2 * TAR_BLOCK) the
 * caller frees; NULL when out of memory. */
char *tar_end(size_t *len);

#endif
