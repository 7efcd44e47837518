/* paced_tills: tills that send requests on a fixed schedule (open loop), for measuring the
 * latency a till sees while something else happens (tests/bench/issue_stall.sh: a 10^6
 * coupon issue). Each of -c connections is a thread with its own kept-alive mutual-TLS
 * connection (libcurl), sending one request every --every seconds; a request is timed from
 * the moment it was due, so a till held up for 4 s counts every request it could not send
 * (no coordinated omission). Runs until SIGINT/SIGTERM or --duration, then prints one line
 * per request: due (Unix seconds), latency (ms), HTTP status, connection. Bodies come from
 * --bodies FILE, one per line, each used once (--wrap: round and round).
 *
 *   paced_tills --url https://127.0.0.1:18845/v1/checks --ca ca.pem --cert t.pem --key t.key \
 *               -c 16 --every 0.1 --bodies checks.txt --wrap > samples.txt */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256

struct sample {
    double due, ms;
    long status;
};

struct till {
    pthread_t thread;
    unsigned id;
    struct sample *s;
    size_t n, cap;
};

static const char *url, *ca, *cert, *key;
static double every = 0.1, duration = 600;
static char **bodies;
static size_t nbodies;
static bool wrap;
static atomic_size_t next_body;
static volatile sig_atomic_t stop;

static double now_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t size, size_t n, void *u)
{
    (void)p;
    (void)u;
    return size * n;
}

/* The next body, or NULL when the file is used up (without --wrap). */
static const char *take_body(void)
{
    size_t i = atomic_fetch_add(&next_body, 1);
    if (i >= nbodies && !wrap)
        return NULL;
    return bodies[i % nbodies];
}

static void *till_main(void *arg)
{
    struct till *t = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
    curl_easy_setopt(c, CURLOPT_SSLKEY, key);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    double start = now_real(), due = start + every * t->id / MAX_CONNS;
    while (!stop && due < start + duration) {
        double wait = due - now_real();
        if (wait > 0) {
            struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
            nanosleep(&ts, NULL);
        }
        const char *body = take_body();
        if (body == NULL || stop)
            break;
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        long status = 0;
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        double done = now_real();
        if (t->n == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 1024;
            struct sample *ns = realloc(t->s, t->cap * sizeof *ns);
            if (ns == NULL)
                break;
            t->s = ns;
        }
        t->s[t->n++] = (struct sample){due, (done - due) * 1000.0, status};
        due += every;
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* Reads FILE's lines into bodies. */
static int read_bodies(const char *file)
{
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return -1;
    char *line = NULL;
    size_t cap = 0, room = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (nbodies == room) {
            room = room ? 2 * room : 1024;
            char **nb = realloc(bodies, room * sizeof *nb);
            if (nb == NULL)
                break;
            bodies = nb;
        }
        bodies[nbodies++] = strdup(line);
    }
    free(line);
    fclose(f);
    return nbodies > 0 ? 0 : -1;
}

static void usage(void)
{
    fprintf(stderr, "usage: paced_tills --url URL --ca FILE --cert FILE --key FILE --bodies FILE"
                    " [-c CONNS] [--every S] [--duration S] [--wrap]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    unsigned conns = 16;
    const char *bodies_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--wrap") == 0) {
            wrap = true;
            continue;
        }
        if (v == NULL)
            usage();
        i++;
        if (strcmp(a, "--url") == 0)
            url = v;
        else if (strcmp(a, "--ca") == 0)
            ca = v;
        else if (strcmp(a, "--cert") == 0)
            cert = v;
        else if (strcmp(a, "--key") == 0)
            key = v;
        else if (strcmp(a, "--bodies") == 0)
            bodies_file = v;
        else if (strcmp(a, "-c") == 0)
            conns = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--every") == 0)
            every = strtod(v, NULL);
        else if (strcmp(a, "--duration") == 0)
            duration = strtod(v, NULL);
        else
            usage();
    }
    if (url == NULL || ca == NULL || cert == NULL || key == NULL || bodies_file == NULL ||
        conns < 1 || conns > MAX_CONNS || every <= 0)
        usage();
    if (read_bodies(bodies_file) != 0) {
        fprintf(stderr, "paced_tills: no bodies in %s\n", bodies_file);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    static struct till tills[MAX_CONNS];
    for (unsigned i = 0; i < conns; i++) {
        tills[i].id = i;
        if (pthread_create(&tills[i].thread, NULL, till_main, &tills[i]) != 0) {
            fprintf(stderr, "paced_tills: cannot start thread %u\n", i);
            return 1;
        }
    }
    for (unsigned i = 0; i < conns; i++) {
        pthread_join(tills[i].thread, NULL);
        for (size_t k = 0; k < tills[i].n; k++)
            printf("%.6f %.3f %ld %u\n", tills[i].s[k].due, tills[i].s[k].ms, tills[i].s[k].status,
                   i);
        free(tills[i].s);
    }
    for (size_t i = 0; i < nbodies; i++)
        free(bodies[i]);
    free(bodies);
    curl_global_cleanup();
    return 0;
}
