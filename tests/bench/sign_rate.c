/* sign_rate: the machine's Ed25519 signing rate on all cores (libsodium's
 * crypto_sign_detached), the ceiling for coupond's export of signed coupon codes.
 * Each thread signs a distinct message of --bytes bytes (a signed code's payload size)
 * in a loop for --duration seconds. Prints one key=value line. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256

struct job {
    pthread_t tid;
    unsigned index;
    size_t bytes;
    double duration;
    uint64_t signs;
    double elapsed;
};

static unsigned char sk[crypto_sign_SECRETKEYBYTES], pk[crypto_sign_PUBLICKEYBYTES];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
    struct job *j = arg;
    unsigned char msg[1024], sig[crypto_sign_BYTES];
    memset(msg, (int)j->index, sizeof msg);
    double t0 = now_s(), t = t0;
    uint64_t n = 0;
    while (t - t0 < j->duration) {
        for (int k = 0; k < 256; k++) {
            /* a different message every time, like a different serial per coupon */
            memcpy(msg, &n, sizeof n);
            crypto_sign_detached(sig, NULL, msg, j->bytes, sk);
            n++;
        }
        t = now_s();
    }
    j->signs = n;
    j->elapsed = t - t0;
    return NULL;
}

static unsigned long parse(const char *s, const char *what, unsigned long min, unsigned long max)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "sign_rate: %s must be from %lu to %lu\n", what, min, max);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = ncpu > 0 && ncpu <= MAX_THREADS ? (unsigned)ncpu : 1;
    double duration = 3;
    size_t bytes = 48;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = (unsigned)parse(argv[++i], "--threads", 1, MAX_THREADS);
        else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc)
            duration = (double)parse(argv[++i], "--duration", 1, 60);
        else if (strcmp(argv[i], "--bytes") == 0 && i + 1 < argc)
            bytes = parse(argv[++i], "--bytes", 8, 1024);
        else {
            fprintf(stderr, "usage: sign_rate [--threads N (default: all cores)] "
                            "[--duration S (3)] [--bytes B (48)]\n");
            return 2;
        }
    }
    if (sodium_init() < 0 || crypto_sign_keypair(pk, sk) != 0) {
        fprintf(stderr, "sign_rate: libsodium failed to start\n");
        return 1;
    }
    struct job jobs[MAX_THREADS];
    memset(jobs, 0, sizeof jobs);
    for (unsigned t = 0; t < threads; t++) {
        jobs[t].index = t;
        jobs[t].bytes = bytes;
        jobs[t].duration = duration;
        if (pthread_create(&jobs[t].tid, NULL, run, &jobs[t]) != 0) {
            fprintf(stderr, "sign_rate: cannot start a thread\n");
            return 1;
        }
    }
    double rate = 0;
    uint64_t total = 0;
    for (unsigned t = 0; t < threads; t++) {
        pthread_join(jobs[t].tid, NULL);
        total += jobs[t].signs;
        rate += (double)jobs[t].signs / jobs[t].elapsed;
    }
    printf("label=ed25519_sign threads=%u bytes=%zu signs=%llu signs_per_s=%.0f "
           "per_thread_per_s=%.0f\n",
           threads, bytes, (unsigned long long)total, rate, rate / threads);
    sodium_memzero(sk, sizeof sk);
    return 0;
}
