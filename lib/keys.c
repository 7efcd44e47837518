/* The keyring (MAC and Ed25519 keys by id), the key directory format
 * (mac-<id>.key, sign-<id>.key, sign-<id>.pub as hex), key generation with
 * atomic, mode-correct files, and the keyed operations the code forms use. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "coupon/keys.h"

struct sign_key {
    bool has_public;
    bool has_secret;
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

struct mac_key {
    bool present;
    uint8_t key[CPN_MAC_KEY_BYTES];
    /* HMAC state after the key blocks, copied for every MAC: two SHA-256
     * compressions per MAC instead of four. Secret like the key. */
    crypto_auth_hmacsha256_state keyed;
};

struct cpn_keyring {
    struct sign_key sign[CPN_KEY_ID_MAX + 1]; /* by id; [0] unused */
    struct mac_key mac[CPN_KEY_ID_MAX + 1];
    unsigned mac_for_slot[4]; /* highest MAC key id with id % 4 == slot, 0 if none */
    unsigned current_sign;
    unsigned current_mac;
};

/* Longest key file we read: 64 hex digits, a newline, and room to see more. */
#define KEY_FILE_MAX 80

enum key_file { KEY_FILE_NONE, KEY_FILE_MAC, KEY_FILE_SIGN_SECRET, KEY_FILE_SIGN_PUBLIC };

struct cpn_keyring *cpn_keyring_new(void)
{
    if (sodium_init() < 0)
        return NULL;
    return calloc(1, sizeof(struct cpn_keyring));
}

void cpn_keyring_free(struct cpn_keyring *keys)
{
    if (keys == NULL)
        return;
    sodium_memzero(keys, sizeof *keys);
    free(keys);
}

static bool id_ok(unsigned id)
{
    return id >= 1 && id <= CPN_KEY_ID_MAX;
}

static void recompute_current(struct cpn_keyring *keys)
{
    keys->current_sign = 0;
    keys->current_mac = 0;
    memset(keys->mac_for_slot, 0, sizeof keys->mac_for_slot);
    for (unsigned id = 1; id <= CPN_KEY_ID_MAX; id++) {
        if (keys->sign[id].has_secret)
            keys->current_sign = id;
        if (keys->mac[id].present) {
            keys->current_mac = id;
            keys->mac_for_slot[id % 4] = id;
        }
    }
}

/* Whether sign key SRC can join DST (same public key, if both have one). */
static bool sign_compatible(const struct sign_key *dst, const struct sign_key *src)
{
    return !dst->has_public || !src->has_public ||
           sodium_memcmp(dst->pk, src->pk, sizeof dst->pk) == 0;
}

static bool mac_compatible(const struct mac_key *dst, const struct mac_key *src)
{
    return !dst->present || !src->present ||
           sodium_memcmp(dst->key, src->key, sizeof dst->key) == 0;
}

static void sign_merge(struct sign_key *dst, const struct sign_key *src)
{
    if (src->has_secret) {
        *dst = *src;
    } else if (src->has_public && !dst->has_public) {
        dst->has_public = true;
        memcpy(dst->pk, src->pk, sizeof dst->pk);
    }
}

static void mac_merge(struct mac_key *dst, const struct mac_key *src)
{
    if (src->present && !dst->present)
        *dst = *src;
}

enum cpn_err cpn_keyring_add_public(struct cpn_keyring *keys, unsigned id,
                                    const uint8_t pub[CPN_PUBLIC_KEY_BYTES])
{
    struct sign_key k = {.has_public = true};

    if (keys == NULL || pub == NULL || !id_ok(id) || !crypto_core_ed25519_is_valid_point(pub))
        return CPN_ERR_BAD_REQUEST;
    memcpy(k.pk, pub, sizeof k.pk);
    if (!sign_compatible(&keys->sign[id], &k))
        return CPN_ERR_CONFLICT;
    sign_merge(&keys->sign[id], &k);
    return CPN_OK;
}

enum cpn_err cpn_keyring_add_sign_seed(struct cpn_keyring *keys, unsigned id,
                                       const uint8_t seed[CPN_SIGN_SEED_BYTES])
{
    struct sign_key k = {.has_public = true, .has_secret = true};
    enum cpn_err err = CPN_OK;

    if (keys == NULL || seed == NULL || !id_ok(id))
        return CPN_ERR_BAD_REQUEST;
    if (crypto_sign_seed_keypair(k.pk, k.sk, seed) != 0)
        err = CPN_ERR_INTERNAL;
    else if (!sign_compatible(&keys->sign[id], &k))
        err = CPN_ERR_CONFLICT;
    if (err == CPN_OK) {
        sign_merge(&keys->sign[id], &k);
        recompute_current(keys);
    }
    sodium_memzero(&k, sizeof k);
    return err;
}

enum cpn_err cpn_keyring_add_mac_key(struct cpn_keyring *keys, unsigned id,
                                     const uint8_t key[CPN_MAC_KEY_BYTES])
{
    struct mac_key k = {.present = true};
    enum cpn_err err = CPN_OK;

    if (keys == NULL || key == NULL || !id_ok(id))
        return CPN_ERR_BAD_REQUEST;
    memcpy(k.key, key, sizeof k.key);
    if (crypto_auth_hmacsha256_init(&k.keyed, k.key, sizeof k.key) != 0)
        err = CPN_ERR_INTERNAL;
    else if (!mac_compatible(&keys->mac[id], &k))
        err = CPN_ERR_CONFLICT;
    if (err == CPN_OK) {
        mac_merge(&keys->mac[id], &k);
        recompute_current(keys);
    }
    sodium_memzero(&k, sizeof k);
    return err;
}

void cpn_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

enum cpn_err cpn_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_len)
{
    if (hex == NULL || out == NULL || out_len > SIZE_MAX / 2 || hex_len != 2 * out_len)
        return CPN_ERR_BAD_REQUEST;
    for (size_t i = 0; i < out_len; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            sodium_memzero(out, out_len);
            return CPN_ERR_BAD_REQUEST;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return CPN_OK;
}

/* Parses a key file name: mac-<id>.key, sign-<id>.key or sign-<id>.pub with
 * id 1..255 written without leading zeros. */
static enum key_file key_file_name(const char *name, unsigned *id)
{
    static const struct {
        const char *prefix, *suffix;
        enum key_file kind;
    } forms[] = {
        {"mac-", ".key", KEY_FILE_MAC},
        {"sign-", ".key", KEY_FILE_SIGN_SECRET},
        {"sign-", ".pub", KEY_FILE_SIGN_PUBLIC},
    };

    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        size_t plen = strlen(forms[f].prefix);
        const char *p;
        unsigned v = 0;
        size_t digits = 0;

        if (strncmp(name, forms[f].prefix, plen) != 0)
            continue;
        p = name + plen;
        while (p[digits] >= '0' && p[digits] <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(p[digits] - '0');
            digits++;
        }
        if (digits == 0 || digits > 3 || (digits > 1 && p[0] == '0') || !id_ok(v) ||
            strcmp(p + digits, forms[f].suffix) != 0)
            continue;
        *id = v;
        return forms[f].kind;
    }
    return KEY_FILE_NONE;
}

static enum cpn_err join_path(char *buf, size_t size, const char *dir, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", dir, name);
    return (n < 0 || (size_t)n >= size) ? CPN_ERR_IO : CPN_OK;
}

/* Reads the 32-byte key in hex from PATH into OUT. A secret file must be a
 * regular file without group or other permissions. */
static enum cpn_err read_key_file(const char *path, bool secret, uint8_t out[32])
{
    char buf[KEY_FILE_MAX];
    size_t len = 0;
    struct stat st;
    enum cpn_err err = CPN_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return CPN_ERR_IO;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (secret && (st.st_mode & 077) != 0))
        err = CPN_ERR_IO;
    while (err == CPN_OK && len < sizeof buf) {
        ssize_t n = read(fd, buf + len, sizeof buf - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            err = CPN_ERR_IO;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (err == CPN_OK && len == 65 && buf[64] == '\n')
        len = 64;
    if (err == CPN_OK && cpn_hex_decode(buf, len, out, 32) != CPN_OK)
        err = CPN_ERR_IO;
    sodium_memzero(buf, sizeof buf);
    return err;
}

/* Folds SRC into KEYS, or returns CPN_ERR_CONFLICT and changes nothing. */
static enum cpn_err merge(struct cpn_keyring *keys, const struct cpn_keyring *src)
{
    for (unsigned id = 1; id <= CPN_KEY_ID_MAX; id++)
        if (!sign_compatible(&keys->sign[id], &src->sign[id]) ||
            !mac_compatible(&keys->mac[id], &src->mac[id]))
            return CPN_ERR_CONFLICT;
    for (unsigned id = 1; id <= CPN_KEY_ID_MAX; id++) {
        sign_merge(&keys->sign[id], &src->sign[id]);
        mac_merge(&keys->mac[id], &src->mac[id]);
    }
    recompute_current(keys);
    return CPN_OK;
}

/* Reads every key file of DIR into TMP; public keys go to PUBS first so that
 * a .pub can be compared with its .key whatever the order of the entries. */
static enum cpn_err load_into(struct cpn_keyring *tmp, const char *dir,
                              uint8_t pubs[CPN_KEY_ID_MAX + 1][32],
                              bool has_pub[CPN_KEY_ID_MAX + 1])
{
    char path[PATH_MAX];
    uint8_t key[32];
    enum cpn_err err = CPN_OK;
    struct dirent *de;
    DIR *d = opendir(dir);

    if (d == NULL)
        return CPN_ERR_IO;
    while (err == CPN_OK) {
        unsigned id = 0;
        enum key_file kind;

        errno = 0;
        de = readdir(d);
        if (de == NULL) {
            if (errno != 0)
                err = CPN_ERR_IO;
            break;
        }
        kind = key_file_name(de->d_name, &id);
        if (kind == KEY_FILE_NONE)
            continue;
        err = join_path(path, sizeof path, dir, de->d_name);
        if (err == CPN_OK)
            err = read_key_file(path, kind != KEY_FILE_SIGN_PUBLIC, key);
        if (err != CPN_OK)
            break;
        if (kind == KEY_FILE_MAC) {
            err = cpn_keyring_add_mac_key(tmp, id, key);
        } else if (kind == KEY_FILE_SIGN_SECRET) {
            err = cpn_keyring_add_sign_seed(tmp, id, key);
        } else {
            memcpy(pubs[id], key, 32);
            has_pub[id] = true;
        }
        if (err != CPN_OK)
            err = CPN_ERR_IO;
    }
    sodium_memzero(key, sizeof key);
    closedir(d);
    for (unsigned id = 1; err == CPN_OK && id <= CPN_KEY_ID_MAX; id++)
        if (has_pub[id] && cpn_keyring_add_public(tmp, id, pubs[id]) != CPN_OK)
            err = CPN_ERR_IO;
    return err;
}

enum cpn_err cpn_keyring_load_dir(struct cpn_keyring *keys, const char *dir)
{
    uint8_t(*pubs)[32];
    bool *has_pub;
    struct cpn_keyring *tmp;
    enum cpn_err err;

    if (keys == NULL || dir == NULL)
        return CPN_ERR_BAD_REQUEST;
    tmp = cpn_keyring_new();
    pubs = malloc((CPN_KEY_ID_MAX + 1) * sizeof *pubs);
    has_pub = calloc(CPN_KEY_ID_MAX + 1, sizeof *has_pub);
    if (tmp == NULL || pubs == NULL || has_pub == NULL)
        err = CPN_ERR_NO_MEMORY;
    else
        err = load_into(tmp, dir, pubs, has_pub);
    if (err == CPN_OK)
        err = merge(keys, tmp);
    cpn_keyring_free(tmp);
    free(pubs);
    free(has_pub);
    return err;
}

/* Writes HEX (+ newline) to DIR/NAME with MODE via a temporary file that is
 * synced first. EXCLUSIVE: link it into place, failing with
 * CPN_ERR_CONFLICT if NAME exists; otherwise rename over NAME. */
static enum cpn_err write_key_file(const char *dir, const char *name, const char *hex, mode_t mode,
                                   bool exclusive)
{
    char path[PATH_MAX], tmp[PATH_MAX], tmp_name[NAME_MAX];
    char line[2 * 32 + 2];
    size_t len = strlen(hex);
    enum cpn_err err = CPN_OK;
    int fd, n;

    if (len + 1 >= sizeof line)
        return CPN_ERR_INTERNAL;
    memcpy(line, hex, len);
    line[len++] = '\n';
    n = snprintf(tmp_name, sizeof tmp_name, ".tmp-%ld-%08x-%s", (long)getpid(),
                 (unsigned)randombytes_random(), name);
    if (n < 0 || (size_t)n >= sizeof tmp_name ||
        join_path(path, sizeof path, dir, name) != CPN_OK ||
        join_path(tmp, sizeof tmp, dir, tmp_name) != CPN_OK)
        return CPN_ERR_IO;
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return CPN_ERR_IO;
    if (fchmod(fd, mode) != 0)
        err = CPN_ERR_IO;
    for (size_t off = 0; err == CPN_OK && off < len;) {
        ssize_t w = write(fd, line + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            err = CPN_ERR_IO;
        else
            off += (size_t)w;
    }
    if (err == CPN_OK && fsync(fd) != 0)
        err = CPN_ERR_IO;
    if (close(fd) != 0 && err == CPN_OK)
        err = CPN_ERR_IO;
    sodium_memzero(line, sizeof line);
    if (err == CPN_OK && exclusive && link(tmp, path) != 0)
        err = errno == EEXIST ? CPN_ERR_CONFLICT : CPN_ERR_IO;
    if (err == CPN_OK && !exclusive && rename(tmp, path) != 0)
        err = CPN_ERR_IO;
    if (exclusive || err != CPN_OK)
        unlink(tmp);
    return err;
}

static enum cpn_err sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    enum cpn_err err = CPN_OK;

    if (fd < 0)
        return CPN_ERR_IO;
    if (fsync(fd) != 0)
        err = CPN_ERR_IO;
    close(fd);
    return err;
}

static enum cpn_err ensure_dir(const char *dir)
{
    struct stat st;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return CPN_ERR_IO;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return CPN_ERR_IO;
    return CPN_OK;
}

/* The highest id of any key file in DIR, 0 if none. */
static enum cpn_err highest_id(const char *dir, unsigned *highest)
{
    struct dirent *de;
    enum cpn_err err = CPN_OK;
    DIR *d = opendir(dir);

    *highest = 0;
    if (d == NULL)
        return CPN_ERR_IO;
    for (;;) {
        unsigned id = 0;

        errno = 0;
        de = readdir(d);
        if (de == NULL) {
            if (errno != 0)
                err = CPN_ERR_IO;
            break;
        }
        if (key_file_name(de->d_name, &id) != KEY_FILE_NONE && id > *highest)
            *highest = id;
    }
    closedir(d);
    return err;
}

enum cpn_err cpn_keygen(const char *dir, unsigned *new_id)
{
    uint8_t seed[CPN_SIGN_SEED_BYTES], mac[CPN_MAC_KEY_BYTES];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    char hex[2 * 32 + 1], name[32];
    unsigned id = 0;
    enum cpn_err err;

    if (new_id != NULL)
        *new_id = 0;
    if (dir == NULL)
        return CPN_ERR_BAD_REQUEST;
    if (sodium_init() < 0)
        return CPN_ERR_INTERNAL;
    err = ensure_dir(dir);
    if (err == CPN_OK)
        err = highest_id(dir, &id);
    if (err != CPN_OK)
        return err;
    if (id >= CPN_KEY_ID_MAX)
        return CPN_ERR_CONFLICT;
    id++;

    randombytes_buf(seed, sizeof seed);
    randombytes_buf(mac, sizeof mac);
    if (crypto_sign_seed_keypair(pk, sk, seed) != 0)
        err = CPN_ERR_INTERNAL;
    /* The secret signing key claims the id (link fails if it exists). */
    if (err == CPN_OK) {
        snprintf(name, sizeof name, "sign-%u.key", id);
        cpn_hex_encode(seed, sizeof seed, hex);
        err = write_key_file(dir, name, hex, 0600, true);
    }
    if (err == CPN_OK) {
        snprintf(name, sizeof name, "sign-%u.pub", id);
        cpn_hex_encode(pk, sizeof pk, hex);
        err = write_key_file(dir, name, hex, 0644, true);
    }
    if (err == CPN_OK) {
        snprintf(name, sizeof name, "mac-%u.key", id);
        cpn_hex_encode(mac, sizeof mac, hex);
        err = write_key_file(dir, name, hex, 0600, true);
    }
    if (err == CPN_OK)
        err = sync_dir(dir);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(mac, sizeof mac);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(hex, sizeof hex);
    if (err == CPN_OK && new_id != NULL)
        *new_id = id;
    return err;
}

enum cpn_err cpn_keyring_save_public_dir(const struct cpn_keyring *keys, const char *dir)
{
    char hex[2 * 32 + 1], name[32];
    enum cpn_err err;

    if (keys == NULL || dir == NULL)
        return CPN_ERR_BAD_REQUEST;
    err = ensure_dir(dir);
    for (unsigned id = 1; err == CPN_OK && id <= CPN_KEY_ID_MAX; id++) {
        if (!keys->sign[id].has_public)
            continue;
        snprintf(name, sizeof name, "sign-%u.pub", id);
        cpn_hex_encode(keys->sign[id].pk, 32, hex);
        err = write_key_file(dir, name, hex, 0644, false);
    }
    if (err == CPN_OK)
        err = sync_dir(dir);
    return err;
}

enum cpn_err cpn_keyring_mac(const struct cpn_keyring *keys, unsigned slot, const uint8_t *msg,
                             size_t len, uint8_t out[32])
{
    crypto_auth_hmacsha256_state st;
    unsigned id;

    if (keys == NULL || slot > 3 || (msg == NULL && len > 0) || out == NULL)
        return CPN_ERR_BAD_REQUEST;
    id = keys->mac_for_slot[slot];
    if (id == 0)
        return CPN_ERR_UNKNOWN_KEY;
    st = keys->mac[id].keyed;
    crypto_auth_hmacsha256_update(&st, msg, len);
    crypto_auth_hmacsha256_final(&st, out); /* also wipes st */
    return CPN_OK;
}

enum cpn_err cpn_keyring_sign(const struct cpn_keyring *keys, unsigned id, const uint8_t *msg,
                              size_t len, uint8_t sig[64])
{
    if (sig == NULL)
        return CPN_ERR_BAD_REQUEST;
    memset(sig, 0, 64);
    if (keys == NULL || (msg == NULL && len > 0))
        return CPN_ERR_BAD_REQUEST;
    if (!id_ok(id) || !keys->sign[id].has_secret)
        return CPN_ERR_UNKNOWN_KEY;
    if (crypto_sign_detached(sig, NULL, msg, len, keys->sign[id].sk) != 0)
        return CPN_ERR_INTERNAL;
    return CPN_OK;
}

enum cpn_err cpn_keyring_verify(const struct cpn_keyring *keys, unsigned id, const uint8_t *msg,
                                size_t len, const uint8_t sig[64])
{
    if (keys == NULL || sig == NULL || (msg == NULL && len > 0))
        return CPN_ERR_BAD_REQUEST;
    if (!id_ok(id) || !keys->sign[id].has_public)
        return CPN_ERR_UNKNOWN_KEY;
    if (crypto_sign_verify_detached(sig, msg, len, keys->sign[id].pk) != 0)
        return CPN_ERR_FORGED_CODE;
    return CPN_OK;
}

size_t cpn_keyring_public_ids(const struct cpn_keyring *keys, unsigned ids[CPN_KEY_ID_MAX])
{
    size_t n = 0;

    if (keys == NULL || ids == NULL)
        return 0;
    for (unsigned id = 1; id <= CPN_KEY_ID_MAX; id++)
        if (keys->sign[id].has_public)
            ids[n++] = id;
    return n;
}

enum cpn_err cpn_keyring_public_key(const struct cpn_keyring *keys, unsigned id,
                                    uint8_t pub[CPN_PUBLIC_KEY_BYTES])
{
    if (keys == NULL || pub == NULL || !id_ok(id) || !keys->sign[id].has_public)
        return CPN_ERR_UNKNOWN_KEY;
    memcpy(pub, keys->sign[id].pk, CPN_PUBLIC_KEY_BYTES);
    return CPN_OK;
}

unsigned cpn_keyring_current_sign_id(const struct cpn_keyring *keys)
{
    return keys == NULL ? 0 : keys->current_sign;
}

unsigned cpn_keyring_current_mac_id(const struct cpn_keyring *keys)
{
    return keys == NULL ? 0 : keys->current_mac;
}
