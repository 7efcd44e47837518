/* Reading a whole file into memory, for configuration-sized files (PEM, CRL, SQL). */
#ifndef SVC_FILES_H
#define SVC_FILES_H

#include <stddef.h>

/* Reads the file at PATH (at most MAX bytes) into a new NUL-terminated buffer the caller
 * frees; *LEN (if not NULL) gets its length. On error (unreadable, larger than MAX, out of
 * memory) NULL is returned with errno set and nothing is allocated. */
char *file_read_all(const char *path, size_t max, size_t *len);

#endif
