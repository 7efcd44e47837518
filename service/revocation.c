/* The revocation list in force: loaded from the CA's CRL file, verified against the
 * CA, and replaced by a watcher thread within a second of the file changing. */
#include <errno.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "files.h"
#include "log.h"
#include "principal.h"

struct serial {
    uint8_t len;
    uint8_t bytes[40];
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct serial *revoked; /* sorted */
static size_t revoked_count;
static atomic_uint generation = 1;
static char *crl_file;
static gnutls_x509_crt_t ca_crt;
static pthread_t watcher;
static atomic_bool running;
static struct stat last_seen;

static int cmp_serial(const void *a, const void *b)
{
    const struct serial *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->bytes, y->bytes, x->len);
}

/* Strips leading zero bytes so DER encodings with and without sign padding compare equal. */
static void normalise(const uint8_t *in, size_t len, struct serial *out)
{
    while (len > 1 && in[0] == 0) {
        in++;
        len--;
    }
    if (len > sizeof out->bytes)
        len = sizeof out->bytes;
    out->len = (uint8_t)len;
    memcpy(out->bytes, in, len);
}

/* Reads PATH into OUT (freed by the caller with free()). Returns 0 or -1 (errno set). */
static int read_file(const char *path, gnutls_datum_t *out)
{
    size_t len = 0;
    char *buf = file_read_all(path, 64u << 20, &len);
    if (buf == NULL)
        return -1;
    out->data = (unsigned char *)buf;
    out->size = (unsigned)len;
    return 0;
}

/* Reads and verifies the CRL; on success swaps it in and bumps the generation.
 * On error the list in force stays and the reason is logged. */
static int load_crl(void)
{
    gnutls_datum_t data = {NULL, 0};
    if (read_file(crl_file, &data) != 0) {
        log_msg(LOG_ERROR, "cannot read CRL %s: %s; keeping the list in force", crl_file,
                strerror(errno));
        return -1;
    }
    gnutls_x509_crl_t crl;
    int rc = gnutls_x509_crl_init(&crl);
    if (rc < 0) {
        free(data.data);
        log_msg(LOG_ERROR, "cannot load CRL %s: %s", crl_file, gnutls_strerror(rc));
        return -1;
    }
    rc = gnutls_x509_crl_import(crl, &data, GNUTLS_X509_FMT_PEM);
    free(data.data);
    if (rc < 0) {
        log_msg(LOG_ERROR, "CRL %s is not a valid PEM CRL (%s); keeping the list in force",
                crl_file, gnutls_strerror(rc));
        gnutls_x509_crl_deinit(crl);
        return -1;
    }
    unsigned verify = 0;
    rc = gnutls_x509_crl_verify(crl, &ca_crt, 1, 0, &verify);
    if (rc < 0 || verify != 0) {
        log_msg(LOG_ERROR, "CRL %s is not signed by the client CA; keeping the list in force",
                crl_file);
        gnutls_x509_crl_deinit(crl);
        return -1;
    }
    time_t next = gnutls_x509_crl_get_next_update(crl);
    if (next != (time_t)-1 && next < time(NULL))
        log_msg(LOG_WARN, "CRL %s is past its next update; re-issue it (coupond-pki crl)",
                crl_file);
    int count = gnutls_x509_crl_get_crt_count(crl);
    if (count < 0)
        count = 0;
    struct serial *list = calloc((size_t)count + 1, sizeof *list);
    if (list == NULL) {
        gnutls_x509_crl_deinit(crl);
        return -1;
    }
    size_t n = 0;
    for (int i = 0; i < count; i++) {
        uint8_t sbuf[64];
        size_t slen = sizeof sbuf;
        if (gnutls_x509_crl_get_crt_serial(crl, (unsigned)i, sbuf, &slen, NULL) < 0)
            continue;
        normalise(sbuf, slen, &list[n++]);
    }
    gnutls_x509_crl_deinit(crl);
    qsort(list, n, sizeof *list, cmp_serial);
    pthread_rwlock_wrlock(&lock);
    struct serial *old = revoked;
    revoked = list;
    revoked_count = n;
    atomic_fetch_add(&generation, 1);
    pthread_rwlock_unlock(&lock);
    free(old);
    log_msg(LOG_INFO, "revocation list loaded: %zu revoked certificate(s)", n);
    return 0;
}

static bool file_changed(void)
{
    struct stat st;
    if (stat(crl_file, &st) != 0)
        return false;
    bool changed = st.st_ino != last_seen.st_ino || st.st_size != last_seen.st_size ||
                   st.st_mtim.tv_sec != last_seen.st_mtim.tv_sec ||
                   st.st_mtim.tv_nsec != last_seen.st_mtim.tv_nsec;
    if (changed)
        last_seen = st;
    return changed;
}

static void *watch(void *arg)
{
    (void)arg;
    struct timespec tick = {0, 200 * 1000 * 1000};
    while (atomic_load(&running)) {
        nanosleep(&tick, NULL);
        if (file_changed())
            (void)load_crl();
    }
    return NULL;
}

static int load_ca(const char *ca_path)
{
    gnutls_datum_t data = {NULL, 0};
    if (read_file(ca_path, &data) != 0) {
        log_msg(LOG_ERROR, "cannot read CA %s: %s", ca_path, strerror(errno));
        return -1;
    }
    int rc = gnutls_x509_crt_init(&ca_crt);
    if (rc >= 0)
        rc = gnutls_x509_crt_import(ca_crt, &data, GNUTLS_X509_FMT_PEM);
    free(data.data);
    if (rc < 0) {
        log_msg(LOG_ERROR, "CA %s is not a PEM certificate: %s", ca_path, gnutls_strerror(rc));
        gnutls_x509_crt_deinit(ca_crt);
        ca_crt = NULL;
        return -1;
    }
    return 0;
}

enum cpn_err revocation_start(const char *crl_path, const char *ca_path)
{
    if (crl_path == NULL || *crl_path == '\0') {
        log_msg(LOG_WARN, "no CRL configured: revoked certificates would be accepted");
        return CPN_OK;
    }
    if (load_ca(ca_path) != 0)
        return CPN_ERR_IO;
    crl_file = strdup(crl_path);
    if (crl_file == NULL)
        return CPN_ERR_NO_MEMORY;
    (void)file_changed();
    if (load_crl() != 0) {
        revocation_stop();
        return CPN_ERR_IO;
    }
    atomic_store(&running, true);
    if (pthread_create(&watcher, NULL, watch, NULL) != 0) {
        atomic_store(&running, false);
        revocation_stop();
        return CPN_ERR_INTERNAL;
    }
    return CPN_OK;
}

void revocation_stop(void)
{
    if (atomic_exchange(&running, false))
        pthread_join(watcher, NULL);
    pthread_rwlock_wrlock(&lock);
    free(revoked);
    revoked = NULL;
    revoked_count = 0;
    pthread_rwlock_unlock(&lock);
    free(crl_file);
    crl_file = NULL;
    if (ca_crt != NULL) {
        gnutls_x509_crt_deinit(ca_crt);
        ca_crt = NULL;
    }
}

unsigned revocation_generation(void)
{
    return atomic_load(&generation);
}

bool revocation_contains(const uint8_t *serial, size_t len)
{
    struct serial key;
    normalise(serial, len, &key);
    pthread_rwlock_rdlock(&lock);
    bool found =
        revoked_count > 0 && bsearch(&key, revoked, revoked_count, sizeof key, cmp_serial) != NULL;
    pthread_rwlock_unlock(&lock);
    return found;
}
