/* Paced tills: one thread and one keep-alive client per till, checking a code on a fixed
 * schedule; latencies kept per check for the window statistics. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "itest.h"
#include "itest_tills.h"

struct sample {
    double scheduled, latency;
};

struct till {
    pthread_t thread;
    struct itest_client *client;
    struct itest_tills *all;
    struct sample *samples;
    size_t n, cap;
    unsigned errors;
};

struct itest_tills {
    int n;
    const char *body;
    double every_s;
    atomic_bool stop;
    pthread_barrier_t ready;
    struct till *tills;
};

void itest_sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static void *till_main(void *arg)
{
    struct till *t = arg;
    struct itest_tills *all = t->all;
    if (itest_request(t->client, "POST", "/v1/checks", all->body, NULL, NULL) != 200)
        t->errors++;
    pthread_barrier_wait(&all->ready);
    double next = itest_now_s();
    while (!atomic_load(&all->stop)) {
        next += all->every_s;
        itest_sleep_s(next - itest_now_s());
        long status = itest_request(t->client, "POST", "/v1/checks", all->body, NULL, NULL);
        double done = itest_now_s();
        if (status != 200)
            t->errors++;
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 1024;
            struct sample *more = realloc(t->samples, cap * sizeof *more);
            if (more == NULL) {
                t->errors++;
                continue;
            }
            t->samples = more;
            t->cap = cap;
        }
        t->samples[t->n++] = (struct sample){next, done - next};
    }
    return NULL;
}

struct itest_tills *itest_tills_start(int n, const char *terminal, const char *body, double every_s)
{
    struct itest_tills *all = calloc(1, sizeof *all);
    assert_non_null(all);
    all->tills = calloc((size_t)n, sizeof *all->tills);
    assert_non_null(all->tills);
    all->n = n;
    all->body = body;
    all->every_s = every_s;
    atomic_init(&all->stop, false);
    pthread_barrier_init(&all->ready, NULL, (unsigned)n + 1);
    for (int i = 0; i < n; i++) {
        all->tills[i].all = all;
        all->tills[i].client = itest_client_new(terminal);
        assert_int_equal(pthread_create(&all->tills[i].thread, NULL, till_main, &all->tills[i]), 0);
    }
    pthread_barrier_wait(&all->ready);
    return all;
}

unsigned itest_tills_stop(struct itest_tills *all)
{
    atomic_store(&all->stop, true);
    unsigned errors = 0;
    for (int i = 0; i < all->n; i++) {
        pthread_join(all->tills[i].thread, NULL);
        errors += all->tills[i].errors;
    }
    return errors;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct itest_latency itest_tills_window(const struct itest_tills *all, double from, double to,
                                        bool per_till)
{
    double *lat = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < all->n; i++) {
        const struct till *t = &all->tills[i];
        double worst = 0;
        for (size_t k = 0; k < t->n; k++) {
            const struct sample *s = &t->samples[k];
            if (s->scheduled < from || s->scheduled > to)
                continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 4096;
                lat = realloc(lat, cap * sizeof *lat);
                assert_non_null(lat);
            }
            lat[n++] = s->latency * 1000.0;
            worst = s->latency * 1000.0 > worst ? s->latency * 1000.0 : worst;
        }
        if (per_till)
            fprintf(stderr, " %.0f", worst);
    }
    struct itest_latency st = {n, 0, 0, 0};
    if (n > 0) {
        qsort(lat, n, sizeof *lat, by_value);
        st.p50 = lat[n / 2];
        st.p99 = lat[(size_t)((double)(n - 1) * 0.99)];
        st.max = lat[n - 1];
    }
    free(lat);
    return st;
}

void itest_tills_dump(const struct itest_tills *all, const char *path, double origin)
{
    FILE *f = path != NULL ? fopen(path, "w") : NULL;
    for (int i = 0; f != NULL && i < all->n; i++)
        for (size_t k = 0; k < all->tills[i].n; k++)
            fprintf(f, "%.3f %.1f %d\n", all->tills[i].samples[k].scheduled - origin,
                    all->tills[i].samples[k].latency * 1000.0, i);
    if (f != NULL)
        fclose(f);
}

void itest_tills_free(struct itest_tills *all)
{
    if (all == NULL)
        return;
    for (int i = 0; i < all->n; i++) {
        free(all->tills[i].samples);
        itest_client_free(all->tills[i].client);
    }
    pthread_barrier_destroy(&all->ready);
    free(all->tills);
    free(all);
}
