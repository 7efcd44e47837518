/* libFuzzer target for coupond's configuration reader (service/config.c): the input up to
 * its first NUL byte is the --config file, what follows are more command-line words
 * (NUL-separated). svc_config_new must either refuse with one line in its error buffer or
 * return a configuration whose numbers lie in their documented ranges; never crash or leak.
 * A file of only comments and blank lines must change nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WORDS 12

/* The scratch file the reader opens, rewritten for every input. */
static int scratch_fd = -1;
static char scratch[64];

static void put_file(const uint8_t *data, size_t size)
{
    if (scratch_fd < 0) {
        unsetenv("COUPOND_DB");
        unsetenv("COUPOND_LISTEN");
        /* In memory where there is /dev/shm, so that the disk does not slow the fuzzer. */
        snprintf(scratch, sizeof scratch, "%s/fuzz_svc_config.XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        scratch_fd = mkstemp(scratch);
        if (scratch_fd < 0)
            abort();
        unlink(scratch); /* gone when we are; reopened through /proc below */
        snprintf(scratch, sizeof scratch, "/proc/self/fd/%d", scratch_fd);
    }
    if (ftruncate(scratch_fd, 0) != 0 || pwrite(scratch_fd, data, size, 0) != (ssize_t)size)
        abort();
}

/* True when every line of the file is blank or a comment (as a person reads it). */
static bool only_comments(const uint8_t *data, size_t size)
{
    size_t i = 0;
    while (i < size) {
        size_t j = i;
        while (j < size && (data[j] == ' ' || data[j] == '\t' || data[j] == '\r'))
            j++;
        if (j < size && data[j] != '\n' && data[j] != '#')
            return false;
        while (j < size && data[j] != '\n')
            j++;
        i = j + 1;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t file_len = nul != NULL ? (size_t)(nul - data) : size;
    put_file(data, file_len);

    char *argv[4 + MAX_WORDS + 1] = {"coupond", "serve", "--config", scratch};
    int argc = 4;
    char *rest = NULL;
    if (nul != NULL) {
        size_t n = size - file_len - 1;
        rest = malloc(n + 1);
        if (rest == NULL)
            abort();
        memcpy(rest, nul + 1, n);
        rest[n] = '\0';
        for (char *w = rest; argc < 4 + MAX_WORDS && w <= rest + n; w += strlen(w) + 1)
            argv[argc++] = w;
    }
    argv[argc] = NULL;

    char err[512] = "";
    struct svc_config *c = svc_config_new(argc, argv, err, sizeof err);
    if (c == NULL) {
        if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL)
            abort();
    } else {
        if (c->threads < 1 || c->threads > 256 || c->port < 1 || c->port > 65535 ||
            c->max_connections < 1 || c->idle_timeout_s < 1 || c->command == NULL ||
            c->db == NULL || c->listen_host == NULL)
            abort();
        if (argc == 4 && only_comments(data, file_len) &&
            (strcmp(c->db, "dbname=coupond") != 0 || strcmp(c->listen_host, "127.0.0.1") != 0 ||
             c->port != 8443 || c->crl != NULL || c->idle_timeout_s != 120))
            abort(); /* a comment was read as a setting */
        svc_config_free(c);
    }
    free(rest);
    return 0;
}
