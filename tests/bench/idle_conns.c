/* idle_conns: opens N mutual-TLS connections to coupond on loopback, each completing a
 * full handshake (no TLS session reuse) and one request, holds them all open, and then
 * reads coupond's memory from /proc/PID/status (VmRSS, VmHWM) and its open sockets.
 * A second request on every connection afterwards must open no new connection, which
 * proves the connections were still held. Prints one key=value line. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct opts {
    const char *url, *path, *ca, *cert, *key;
    unsigned n, batch, settle_s, hold_s;
    long pid;
};

static struct opts o = {.path = "/v1/whoami", .n = 1000, .batch = 32, .settle_s = 1};

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "idle_conns: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    exit(2);
}

static size_t discard(char *data, size_t size, size_t nmemb, void *userp)
{
    (void)data;
    (void)userp;
    return size * nmemb;
}

/* Reads FIELD (e.g. "VmRSS:") in kB from /proc/PID/status; -1 when unreadable. */
static long proc_kb(long pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    long v = -1;
    size_t flen = strlen(field);
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, field, flen) == 0) {
            v = strtol(line + flen, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

/* Counts PID's open sockets; -1 when /proc/PID/fd is unreadable. */
static long proc_sockets(long pid)
{
    char path[64], target[128], link[320];
    snprintf(path, sizeof path, "/proc/%ld/fd", pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(link, sizeof link, "%s/%s", path, e->d_name);
        ssize_t k = readlink(link, target, sizeof target - 1);
        if (k > 0) {
            target[k] = '\0';
            n += strncmp(target, "socket:", 7) == 0;
        }
    }
    closedir(d);
    return n;
}

/* Runs one request on each handle in HANDLES[0..N), at most BATCH at a time. Returns the
 * number answered 2xx; adds the new connections made to *CONNECTS. */
static unsigned run_all(CURLM *m, CURL **handles, unsigned n, unsigned batch, long *connects)
{
    unsigned next = 0, ok = 0, shown = 0;
    int running = 0;
    while (next < n || running > 0) {
        while (next < n && (unsigned)running < batch) {
            curl_multi_add_handle(m, handles[next++]);
            running++;
        }
        int still = 0;
        curl_multi_perform(m, &still);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *e = msg->easy_handle;
            long status = 0, c = 0;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &c);
            *connects += c;
            if (msg->data.result == CURLE_OK && status >= 200 && status < 300)
                ok++;
            else if (shown++ < 3)
                fprintf(stderr, "idle_conns: request failed: %s (HTTP %ld)\n",
                        curl_easy_strerror(msg->data.result), status);
            curl_multi_remove_handle(m, e);
            running--;
        }
        if (running > 0)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    return ok;
}

static unsigned long parse(const char *s, const char *what)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        die("not a number for", what);
    return v;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            die("missing value for", a);
        i++;
        if (strcmp(a, "--url") == 0)
            o.url = v;
        else if (strcmp(a, "--path") == 0)
            o.path = v;
        else if (strcmp(a, "--ca") == 0)
            o.ca = v;
        else if (strcmp(a, "--cert") == 0)
            o.cert = v;
        else if (strcmp(a, "--key") == 0)
            o.key = v;
        else if (strcmp(a, "-n") == 0 || strcmp(a, "--conns") == 0)
            o.n = (unsigned)parse(v, a);
        else if (strcmp(a, "--batch") == 0)
            o.batch = (unsigned)parse(v, a);
        else if (strcmp(a, "--pid") == 0)
            o.pid = (long)parse(v, a);
        else if (strcmp(a, "--settle") == 0)
            o.settle_s = (unsigned)parse(v, a);
        else if (strcmp(a, "--hold") == 0)
            o.hold_s = (unsigned)parse(v, a);
        else
            die("usage: idle_conns --url https://127.0.0.1:PORT --ca F --cert F --key F --pid PID "
                "[-n 1000] [--path /v1/whoami] [--batch 32] [--settle 1] [--hold 0]",
                NULL);
    }
    if (o.url == NULL || o.cert == NULL || o.key == NULL || o.pid <= 0)
        die("--url, --cert, --key and --pid are required", NULL);
    if (strncmp(o.url, "https://127.0.0.1", 17) != 0 &&
        strncmp(o.url, "https://localhost", 17) != 0)
        die("only loopback targets are allowed", o.url);
    if (o.n < 1 || o.n > 20000 || o.batch < 1)
        die("-n must be from 1 to 20000, --batch at least 1", NULL);

    /* One descriptor per connection, plus slack. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < o.n + 64) {
        rl.rlim_cur =
            rl.rlim_max == RLIM_INFINITY || rl.rlim_max > o.n + 64 ? o.n + 64 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        die("curl_global_init failed", NULL);
    size_t ulen = strlen(o.url) + strlen(o.path) + 1;
    char *url = malloc(ulen);
    CURL **h = calloc(o.n, sizeof *h);
    if (url == NULL || h == NULL)
        die("out of memory", NULL);
    snprintf(url, ulen, "%s%s", o.url, o.path);

    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)o.n + 8);
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o.n + 8);
    for (unsigned k = 0; k < o.n; k++) {
        CURL *e = curl_easy_init();
        if (e == NULL)
            die("curl_easy_init failed", NULL);
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 60000L);
        curl_easy_setopt(e, CURLOPT_CAINFO, o.ca);
        curl_easy_setopt(e, CURLOPT_SSLCERT, o.cert);
        curl_easy_setopt(e, CURLOPT_SSLKEY, o.key);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
        /* Every connection is a new one with a full handshake, as 1,000 tills would make. */
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
        curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, 3600L);
        h[k] = e;
    }
    long rss0 = proc_kb(o.pid, "VmRSS:");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long connects = 0;
    unsigned ok = run_all(m, h, o.n, o.batch, &connects);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double open_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    sleep(o.settle_s);
    long rss = proc_kb(o.pid, "VmRSS:"), hwm = proc_kb(o.pid, "VmHWM:");
    long socks = proc_sockets(o.pid);

    /* Proof they were held: one more request each, on the kept connections. */
    for (unsigned k = 0; k < o.n; k++)
        curl_easy_setopt(h[k], CURLOPT_FRESH_CONNECT, 0L);
    long reconnects = 0;
    unsigned ok2 = run_all(m, h, o.n, o.n, &reconnects);
    long rss2 = proc_kb(o.pid, "VmRSS:");
    if (o.hold_s > 0)
        sleep(o.hold_s);
    long hwm2 = proc_kb(o.pid, "VmHWM:");

    printf("label=idle_conns conns=%u ok=%u connects=%ld open_s=%.2f rss_before_kb=%ld "
           "rss_kb=%ld hwm_kb=%ld sockets=%ld second_ok=%u reconnects=%ld rss_after_second_kb=%ld "
           "hwm_end_kb=%ld\n",
           o.n, ok, connects, open_s, rss0, rss, hwm, socks, ok2, reconnects, rss2, hwm2);
    for (unsigned k = 0; k < o.n; k++)
        curl_easy_cleanup(h[k]);
    curl_multi_cleanup(m);
    free(h);
    free(url);
    curl_global_cleanup();
    return ok == o.n && ok2 == o.n && reconnects == 0 ? 0 : 1;
}
