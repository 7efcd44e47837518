/* The key directory: its file format (mac-<id>.key, sign-<id>.key, sign-<id>.pub, each 32
 * bytes as hex, and retired-<id> markers), loading it into a keyring, generating the next id's keys
 * and saving public keys, always with atomic, mode-correct files. */
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

#include "coupon/file.h"
#include "coupon/hex.h"
#include "coupon/keys.h"
#include "keys_internal.h"

/* Longest key file we read: 64 hex digits, a newline, and room to see more. */
#define KEY_FILE_MAX 80

/* What a file in a key directory holds, by its name. */
enum key_file {
    KEY_FILE_NONE,
    KEY_FILE_MAC,
    KEY_FILE_SIGN_SECRET,
    KEY_FILE_SIGN_PUBLIC,
    KEY_FILE_RETIRED
};

/* Parses a key file name: mac-<id>.key, sign-<id>.key, sign-<id>.pub or retired-<id> with
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
        {"retired-", "", KEY_FILE_RETIRED},
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
        if (digits == 0 || digits > 3 || (digits > 1 && p[0] == '0') || !cpn_key_id_ok(v) ||
            strcmp(p + digits, forms[f].suffix) != 0)
            continue;
        *id = v;
        return forms[f].kind;
    }
    return KEY_FILE_NONE;
}

/* Writes DIR/NAME into BUF (SIZE bytes). Returns CPN_OK, or CPN_ERR_IO when it does not fit. */
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
        if (kind == KEY_FILE_RETIRED) { /* its name says it all */
            err = cpn_keyring_retire(tmp, id);
            continue;
        }
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
        err = cpn_keyring_merge(keys, tmp);
    cpn_keyring_free(tmp);
    free(pubs);
    free(has_pub);
    return err;
}

/* Writes HEX (+ newline) to DIR/NAME with MODE, atomically (cpn_file_replace). EXCLUSIVE:
 * link it into place, failing with CPN_ERR_CONFLICT if NAME exists; otherwise replace NAME. */
static enum cpn_err write_key_file(const char *dir, const char *name, const char *hex, mode_t mode,
                                   bool exclusive)
{
    char line[2 * 32 + 2];
    size_t len = strlen(hex);

    if (len + 1 >= sizeof line)
        return CPN_ERR_INTERNAL;
    memcpy(line, hex, len);
    line[len++] = '\n';
    enum cpn_err err = cpn_file_replace(dir, name, line, len, mode, exclusive);
    sodium_memzero(line, sizeof line);
    return err;
}

/* Creates directory DIR (mode 0700) unless it exists. Returns CPN_OK, or CPN_ERR_IO when it
 * cannot be made or is not a directory. */
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
    for (unsigned id = 1; err == CPN_OK && id <= CPN_KEY_ID_MAX; id++) {
        if (!keys->retired[id])
            continue;
        snprintf(name, sizeof name, "retired-%u", id);
        err = write_key_file(dir, name, "", 0644, false);
    }
    return err;
}
