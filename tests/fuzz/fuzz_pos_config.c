/* libFuzzer target for the till's configuration file reader (pos-client/config.c):
 * pos_config_read_file on arbitrary bytes, then pos_config_finish. Either it refuses with one
 * line in its message, or the timeouts lie in 1..POS_MAX_TIMEOUT_MS; never crash or leak.
 * A file of only comments and blank lines must change nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pos/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int scratch_fd = -1;
static char scratch[64];

static void put_file(const uint8_t *data, size_t size)
{
    if (scratch_fd < 0) {
        /* In memory where there is /dev/shm, so that the disk does not slow the fuzzer. */
        snprintf(scratch, sizeof scratch, "%s/fuzz_pos_config.XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        scratch_fd = mkstemp(scratch);
        if (scratch_fd < 0)
            abort();
        unlink(scratch);
        snprintf(scratch, sizeof scratch, "/proc/self/fd/%d", scratch_fd);
    }
    if (ftruncate(scratch_fd, 0) != 0 || pwrite(scratch_fd, data, size, 0) != (ssize_t)size)
        abort();
}

static bool only_comments(const uint8_t *data, size_t size)
{
    size_t i = 0;
    while (i < size) {
        size_t j = i;
        while (j < size && (data[j] == ' ' || data[j] == '\t' || data[j] == '\r'))
            j++;
        if (j < size && data[j] != '\n' && data[j] != '#')
            return false;
        if (memchr(data + i, '\0', (j < size ? j : size) - i) != NULL)
            return false;
        while (j < size && data[j] != '\n') {
            if (data[j] == '\0')
                return false; /* a NUL byte is refused, rightly */
            j++;
        }
        i = j + 1;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    put_file(data, size);
    struct pos_config *cfg = pos_config_new();
    if (cfg == NULL)
        abort();
    char msg[512] = "";
    enum cpn_err err = pos_config_read_file(cfg, scratch, true, msg, sizeof msg);
    if (err == CPN_OK) {
        if (cfg->timeout_ms < 1 || cfg->timeout_ms > POS_MAX_TIMEOUT_MS ||
            cfg->connect_timeout_ms < 1 || cfg->connect_timeout_ms > POS_MAX_TIMEOUT_MS)
            abort();
        if (only_comments(data, size) &&
            (cfg->url != NULL || cfg->ca != NULL || cfg->cert != NULL || cfg->key != NULL ||
             cfg->state_dir != NULL || cfg->timeout_ms != POS_DEFAULT_TIMEOUT_MS ||
             cfg->connect_timeout_ms != POS_DEFAULT_CONNECT_TIMEOUT_MS))
            abort();
        char fin[512] = "";
        enum cpn_err e2 = pos_config_finish(cfg, fin, sizeof fin);
        if (e2 != CPN_OK && fin[0] == '\0')
            abort();
    } else if (msg[0] == '\0') {
        abort();
    }
    pos_config_free(cfg);
    return 0;
}
