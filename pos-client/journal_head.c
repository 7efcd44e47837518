/* journal.head: one fixed-size line "n=SEQ h=HASH" (SEQ zero-padded to 20 digits), rewritten in
 * place with one write and flushed, so it is either the old or the new record. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "coupon/file.h"
#include "pos/journal_chain.h"
#include "pos/journal_head.h"

/* "n=" + 20 digits + " h=" + 64 hex digits + "\n". */
#define HEAD_LEN (2 + 20 + 3 + POS_HASH_HEX + 1)

enum cpn_err pos_journal_head_read(const char *state_dir, struct pos_journal_anchor *anchor)
{
    memset(anchor, 0, sizeof *anchor);
    char path[4096], buf[HEAD_LEN + 1];
    if (pos_state_path(path, sizeof path, state_dir, POS_JOURNAL_HEAD_FILE) != CPN_OK)
        return CPN_ERR_IO;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? CPN_OK : CPN_ERR_IO;
    ssize_t n = pread(fd, buf, sizeof buf, 0);
    int e = errno;
    close(fd);
    if (n < 0) {
        errno = e;
        return CPN_ERR_IO;
    }
    if (n != HEAD_LEN || memcmp(buf, "n=", 2) != 0 || memcmp(buf + 22, " h=", 3) != 0 ||
        buf[HEAD_LEN - 1] != '\n' || strspn(buf + 2, "0123456789") != 20)
        return CPN_ERR_MALFORMED_CODE;
    uint64_t seq = 0;
    for (int i = 2; i < 22; i++) {
        if (seq > (UINT64_MAX - 9) / 10)
            return CPN_ERR_MALFORMED_CODE;
        seq = seq * 10 + (uint64_t)(buf[i] - '0');
    }
    memcpy(anchor->hash, buf + 25, POS_HASH_HEX);
    anchor->hash[POS_HASH_HEX] = '\0';
    if (!pos_journal_hash_valid(anchor->hash))
        return CPN_ERR_MALFORMED_CODE;
    anchor->seq = seq;
    return CPN_OK;
}

enum cpn_err pos_journal_head_write(const char *state_dir, const struct pos_journal_anchor *anchor)
{
    char path[4096], buf[HEAD_LEN + 1];
    if (pos_state_path(path, sizeof path, state_dir, POS_JOURNAL_HEAD_FILE) != CPN_OK)
        return CPN_ERR_IO;
    int n = snprintf(buf, sizeof buf, "n=%020" PRIu64 " h=%s\n", anchor->seq, anchor->hash);
    if (n != HEAD_LEN) {
        errno = EINVAL;
        return CPN_ERR_IO;
    }
    bool created = false;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        created = fd >= 0;
    }
    if (fd < 0)
        return CPN_ERR_IO;
    int rc = pwrite(fd, buf, HEAD_LEN, 0) == HEAD_LEN ? fdatasync(fd) : -1;
    int e = errno;
    close(fd);
    errno = e;
    if (rc != 0)
        return CPN_ERR_IO;
    return created ? cpn_file_sync_dir(state_dir) : CPN_OK;
}
