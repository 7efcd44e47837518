/* Clean serials: candidates looked at in spans a little larger than what is wanted (about 3%
 * fail the word filter), each span marked on several threads, taken in order. */
#include <stdbool.h>
#include <stdlib.h>

#include "fanout.h"
#include "serials.h"

/* Below this many candidates one thread marks them all. */
#define SERIALS_PARALLEL_MIN 4096
#define SERIALS_THREADS      8

/* One thread's share of the candidates: marks which are clean. */
struct clean_job {
    enum cpn_kind kind;
    int64_t first;
    size_t start, stride, n;
    uint8_t *clean;
    enum cpn_err err;
};

static void *mark_clean(void *arg)
{
    struct clean_job *j = arg;
    char text[CPN_SHORT_LEN + 1];
    for (size_t i = j->start; i < j->n && j->err == CPN_OK; i += j->stride) {
        bool clean = false;
        j->err = codes_short(j->kind, (uint32_t)(j->first + (int64_t)i), text, &clean);
        j->clean[i] = clean;
    }
    return NULL;
}

/* Marks N candidates from FIRST as clean or not, on THREADS threads (0: all cores). */
static enum cpn_err mark_candidates(enum cpn_kind kind, int64_t first, size_t n, uint8_t *clean,
                                    unsigned threads)
{
    unsigned t = threads > 0 ? threads : fanout_width(SERIALS_THREADS);
    if (t > SERIALS_THREADS)
        t = SERIALS_THREADS;
    if (n < SERIALS_PARALLEL_MIN)
        t = 1;
    struct clean_job jobs[SERIALS_THREADS];
    for (unsigned k = 0; k < t; k++)
        jobs[k] = (struct clean_job){kind, first, k, t, n, clean, CPN_OK};
    fanout_run(mark_clean, jobs, sizeof jobs[0], t);
    for (unsigned k = 0; k < t; k++)
        if (jobs[k].err != CPN_OK)
            return jobs[k].err;
    return CPN_OK;
}

enum cpn_err serials_clean(enum cpn_kind kind, int64_t first, int64_t end, size_t n, uint32_t *out,
                           int64_t *last, unsigned threads)
{
    size_t got = 0;
    int64_t next = first;
    if (first < 1 || end > (int64_t)UINT32_MAX + 1)
        return CPN_ERR_NO_SERIALS;
    while (got < n) {
        size_t want = n - got;
        size_t span = want + want / 16 + 64;
        if (next >= end)
            return CPN_ERR_NO_SERIALS;
        if ((int64_t)span > end - next)
            span = (size_t)(end - next);
        uint8_t *clean = malloc(span);
        if (clean == NULL)
            return CPN_ERR_NO_MEMORY;
        enum cpn_err err = mark_candidates(kind, next, span, clean, threads);
        for (size_t i = 0; err == CPN_OK && i < span && got < n; i++) {
            if (clean[i])
                out[got++] = (uint32_t)(next + (int64_t)i);
            if (got == n)
                *last = next + (int64_t)i;
        }
        free(clean);
        if (err != CPN_OK)
            return err;
        next += (int64_t)span;
    }
    return CPN_OK;
}
