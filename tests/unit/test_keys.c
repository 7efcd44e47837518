/* Unit tests of the keyring and key directory: keygen ids and file modes,
 * rotation, strict loading, public-only keyrings, hex helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "coupon/code.h"
#include "coupon/hex.h"
#include "coupon/keys.h"

struct tmpdir {
    char root[64];
    char keys[96];
};

/* A fresh temporary directory; KEYS names a not-yet-existing subdirectory. */
static void tmpdir_make(struct tmpdir *t)
{
    const char *base = getenv("TMPDIR");

    snprintf(t->root, sizeof t->root, "%s/cpn-keys-XXXXXX",
             base != NULL && strlen(base) < 40 ? base : "/tmp");
    assert_non_null(mkdtemp(t->root));
    snprintf(t->keys, sizeof t->keys, "%s/keys", t->root);
}

static void path_of(char *buf, size_t size, const char *dir, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < size);
}

static void tmpdir_remove(struct tmpdir *t)
{
    static const char *const names[] = {"mac-1.key",  "sign-1.key", "sign-1.pub",   "mac-2.key",
                                        "sign-2.key", "sign-2.pub", "sign-255.pub", "notes.txt"};
    char p[160];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        path_of(p, sizeof p, t->keys, names[i]);
        unlink(p);
    }
    rmdir(t->keys);
    rmdir(t->root);
}

static mode_t mode_of(const char *dir, const char *name)
{
    char p[160];
    struct stat st;

    path_of(p, sizeof p, dir, name);
    assert_int_equal(stat(p, &st), 0);
    return st.st_mode & 07777;
}

static void write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char p[160];
    FILE *f;

    path_of(p, sizeof p, dir, name);
    unlink(p);
    f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(p, mode), 0);
}

static void read_file(const char *dir, const char *name, char *buf, size_t size)
{
    char p[160];
    FILE *f;
    size_t n;

    path_of(p, sizeof p, dir, name);
    f = fopen(p, "r");
    assert_non_null(f);
    n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void keygen_twice_makes_ids_1_and_2_with_private_modes(void **state)
{
    struct tmpdir t;
    unsigned id = 0;
    char text[128];
    struct stat st;
    (void)state;

    tmpdir_make(&t);
    assert_int_equal(cpn_keygen(t.keys, &id), CPN_OK);
    assert_int_equal(id, 1);
    assert_int_equal(stat(t.keys, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(cpn_keygen(t.keys, &id), CPN_OK);
    assert_int_equal(id, 2);
    for (unsigned i = 1; i <= 2; i++) {
        char name[32];
        snprintf(name, sizeof name, "mac-%u.key", i);
        assert_int_equal(mode_of(t.keys, name), 0600);
        read_file(t.keys, name, text, sizeof text);
        assert_int_equal(strlen(text), 65);
        assert_int_equal(text[64], '\n');
        snprintf(name, sizeof name, "sign-%u.key", i);
        assert_int_equal(mode_of(t.keys, name), 0600);
        snprintf(name, sizeof name, "sign-%u.pub", i);
        assert_int_equal(mode_of(t.keys, name), 0644);
    }
    tmpdir_remove(&t);
}

static void rotation_keeps_old_codes_valid_and_issues_with_the_new_key(void **state)
{
    struct tmpdir t;
    struct cpn_keyring *k1 = cpn_keyring_new(), *k2 = cpn_keyring_new();
    struct cpn_code old, fresh, p;
    char old_signed[CPN_SIGNED_MAX_LEN + 1], fresh_signed[CPN_SIGNED_MAX_LEN + 1];
    char old_short[CPN_SHORT_LEN + 1];
    unsigned id, ids[CPN_KEY_ID_MAX];
    (void)state;

    tmpdir_make(&t);
    assert_int_equal(cpn_keygen(t.keys, &id), CPN_OK);
    assert_int_equal(cpn_keyring_load_dir(k1, t.keys), CPN_OK);
    assert_int_equal(cpn_keyring_current_sign_id(k1), 1);
    assert_int_equal(cpn_code_issue(k1, CPN_KIND_COUPON, 42, &old, old_short), CPN_OK);
    old.offer_kind = CPN_OFFER_POINTS;
    old.offer_value = 100;
    assert_int_equal(cpn_code_sign(k1, &old, old_signed, sizeof old_signed, NULL), CPN_OK);
    assert_int_equal(old.sign_key_id, 1);

    assert_int_equal(cpn_keygen(t.keys, &id), CPN_OK);
    assert_int_equal(id, 2);
    assert_int_equal(cpn_keyring_load_dir(k2, t.keys), CPN_OK);
    assert_int_equal(cpn_keyring_current_sign_id(k2), 2);
    assert_int_equal(cpn_keyring_current_mac_id(k2), 2);
    assert_int_equal(cpn_keyring_public_ids(k2, ids), 2);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 2);

    /* The code made with key 1 still verifies, in both forms. */
    assert_int_equal(cpn_code_parse(old_signed, strlen(old_signed), &p), CPN_OK);
    assert_int_equal(cpn_code_verify(k2, &p), CPN_OK);
    assert_int_equal(cpn_code_check_mac(k2, NULL, &p), CPN_OK);
    assert_int_equal(cpn_code_parse(old_short, strlen(old_short), &p), CPN_OK);
    assert_int_equal(cpn_code_check_mac(k2, NULL, &p), CPN_OK);

    /* New codes use key 2 (MAC slot 2), which the old keyring does not know. */
    assert_int_equal(cpn_code_issue(k2, CPN_KIND_COUPON, 43, &fresh, NULL), CPN_OK);
    assert_int_equal(fresh.mac_slot, 2);
    fresh.offer_kind = CPN_OFFER_POINTS;
    fresh.offer_value = 100;
    assert_int_equal(cpn_code_sign(k2, &fresh, fresh_signed, sizeof fresh_signed, NULL), CPN_OK);
    assert_int_equal(fresh.sign_key_id, 2);
    assert_int_equal(cpn_code_verify(k2, &fresh), CPN_OK);
    assert_int_equal(cpn_code_verify(k1, &fresh), CPN_ERR_UNKNOWN_KEY);
    assert_int_equal(cpn_code_check_mac(k1, NULL, &fresh), CPN_ERR_UNKNOWN_KEY);

    /* Loading the same directory again changes nothing. */
    assert_int_equal(cpn_keyring_load_dir(k2, t.keys), CPN_OK);
    assert_int_equal(cpn_keyring_current_sign_id(k2), 2);
    cpn_keyring_free(k1);
    cpn_keyring_free(k2);
    tmpdir_remove(&t);
}

static void load_dir_refuses_secret_files_others_can_read(void **state)
{
    struct tmpdir t;
    struct cpn_keyring *k = cpn_keyring_new();
    char p[160];
    unsigned id;
    (void)state;

    tmpdir_make(&t);
    assert_int_equal(cpn_keygen(t.keys, &id), CPN_OK);
    path_of(p, sizeof p, t.keys, "mac-1.key");
    assert_int_equal(chmod(p, 0640), 0);
    assert_int_equal(cpn_keyring_load_dir(k, t.keys), CPN_ERR_IO);
    /* Nothing was loaded: the keyring is unchanged on error. */
    assert_int_equal(cpn_keyring_current_sign_id(k), 0);
    assert_int_equal(chmod(p, 0600), 0);
    path_of(p, sizeof p, t.keys, "sign-1.key");
    assert_int_equal(chmod(p, 0604), 0);
    assert_int_equal(cpn_keyring_load_dir(k, t.keys), CPN_ERR_IO);
    assert_int_equal(chmod(p, 0400), 0);
    assert_int_equal(cpn_keyring_load_dir(k, t.keys), CPN_OK);
    assert_int_equal(cpn_keyring_current_sign_id(k), 1);
    cpn_keyring_free(k);
    tmpdir_remove(&t);
}

static void load_dir_refuses_bad_contents(void **state)
{
    static const char *const bad[] = {
        "",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e",     /* 31 bytes */
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00", /* 33 */
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n", /* not hex */
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n\n",
        " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    };
    struct tmpdir t;
    struct cpn_keyring *k = cpn_keyring_new();
    char pub[128];
    unsigned id;
    (void)state;

    tmpdir_make(&t);
    assert_int_equal(mkdir(t.keys, 0700), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(t.keys, "mac-1.key", bad[i], 0600);
        assert_int_equal(cpn_keyring_load_dir(k, t.keys), CPN_ERR_IO);
    }
    write_file(t.keys, "mac-1.key",
               "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\n", 0600);
    write_file(t.keys, "notes.txt", "not a key\n", 0644);
    assert_int_equal(cpn_keyring_load_dir(k, t.keys), CPN_OK);
    assert_int_equal(cpn_keyring_current_mac_id(k), 1);
    assert_int_equal(cpn_keyring_current_sign_id(k), 0);

    /* A .pub that does not belong to its .key. */
    assert_int_equal(cpn_keygen(t.keys, &id), CPN_OK);
    assert_int_equal(id, 2);
    read_file(t.keys, "sign-2.pub", pub, sizeof pub);
    pub[0] = pub[0] == 'a' ? 'b' : 'a';
    write_file(t.keys, "sign-2.pub", pub, 0644);
    assert_int_equal(cpn_keyring_load_dir(k, t.keys), CPN_ERR_IO);
    assert_int_equal(cpn_keyring_load_dir(k, "/nonexistent/keys"), CPN_ERR_IO);
    cpn_keyring_free(k);
    tmpdir_remove(&t);
}

static void keygen_stops_at_id_255(void **state)
{
    struct tmpdir t;
    unsigned id = 7;
    (void)state;

    tmpdir_make(&t);
    assert_int_equal(mkdir(t.keys, 0700), 0);
    write_file(t.keys, "sign-255.pub",
               "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\n", 0644);
    assert_int_equal(cpn_keygen(t.keys, &id), CPN_ERR_CONFLICT);
    assert_int_equal(id, 0);
    tmpdir_remove(&t);
}

static void public_keys_round_trip_through_a_pos_key_directory(void **state)
{
    struct tmpdir server, pos;
    struct cpn_keyring *k = cpn_keyring_new(), *p = cpn_keyring_new();
    struct cpn_code c, parsed;
    char text[CPN_SIGNED_MAX_LEN + 1];
    unsigned id, ids[CPN_KEY_ID_MAX];
    uint8_t a[32], b[32];
    (void)state;

    tmpdir_make(&server);
    tmpdir_make(&pos);
    assert_int_equal(cpn_keygen(server.keys, &id), CPN_OK);
    assert_int_equal(cpn_keygen(server.keys, &id), CPN_OK);
    assert_int_equal(cpn_keyring_load_dir(k, server.keys), CPN_OK);
    assert_int_equal(cpn_keyring_save_public_dir(k, pos.keys), CPN_OK);
    assert_int_equal(cpn_keyring_load_dir(p, pos.keys), CPN_OK);
    assert_int_equal(cpn_keyring_public_ids(p, ids), 2);
    for (unsigned i = 1; i <= 2; i++) {
        assert_int_equal(cpn_keyring_public_key(k, i, a), CPN_OK);
        assert_int_equal(cpn_keyring_public_key(p, i, b), CPN_OK);
        assert_memory_equal(a, b, 32);
    }
    assert_int_equal(cpn_keyring_public_key(p, 3, b), CPN_ERR_UNKNOWN_KEY);
    assert_int_equal(cpn_keyring_current_sign_id(p), 0);
    assert_int_equal(cpn_keyring_current_mac_id(p), 0);

    assert_int_equal(cpn_code_issue(k, CPN_KIND_CARD, 9, &c, NULL), CPN_OK);
    assert_int_equal(cpn_code_sign(k, &c, text, sizeof text, NULL), CPN_OK);
    assert_int_equal(cpn_code_parse(text, strlen(text), &parsed), CPN_OK);
    assert_int_equal(cpn_code_verify(p, &parsed), CPN_OK);
    assert_int_equal(cpn_code_check_mac(p, NULL, &parsed), CPN_ERR_UNKNOWN_KEY);
    assert_int_equal(cpn_code_issue(p, CPN_KIND_CARD, 10, &c, NULL), CPN_ERR_UNKNOWN_KEY);
    assert_int_equal(cpn_code_sign(p, &parsed, text, sizeof text, NULL), CPN_ERR_UNKNOWN_KEY);
    cpn_keyring_free(k);
    cpn_keyring_free(p);
    tmpdir_remove(&server);
    tmpdir_remove(&pos);
}

static void add_public_rejects_bad_ids_points_and_conflicts(void **state)
{
    struct cpn_keyring *k = cpn_keyring_new();
    uint8_t pub[32], other[32], zero[32] = {0}, seed[32] = {1};
    (void)state;

    assert_int_equal(
        cpn_hex_decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", 64, pub,
                       32),
        CPN_OK);
    assert_int_equal(cpn_keyring_add_public(k, 0, pub), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_keyring_add_public(k, 256, pub), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_keyring_add_public(k, 1, zero), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_keyring_add_public(k, 1, pub), CPN_OK);
    assert_int_equal(cpn_keyring_add_public(k, 1, pub), CPN_OK);
    /* Another valid key under the same id. */
    assert_int_equal(cpn_keyring_add_sign_seed(k, 2, seed), CPN_OK);
    assert_int_equal(cpn_keyring_public_key(k, 2, other), CPN_OK);
    assert_int_equal(cpn_keyring_add_public(k, 1, other), CPN_ERR_CONFLICT);
    assert_int_equal(cpn_keyring_add_sign_seed(k, 1, seed), CPN_ERR_CONFLICT);
    assert_int_equal(cpn_keyring_add_mac_key(k, 1, seed), CPN_OK);
    assert_int_equal(cpn_keyring_add_mac_key(k, 1, zero), CPN_ERR_CONFLICT);
    assert_int_equal(cpn_keyring_current_sign_id(k), 2);
    assert_int_equal(cpn_keyring_current_mac_id(k), 1);
    cpn_keyring_free(k);
    cpn_keyring_free(NULL);
}

static void hex_helpers_round_trip_and_reject_bad_digits(void **state)
{
    uint8_t in[4] = {0x00, 0x7f, 0xa5, 0xff}, out[4];
    char hex[9];
    (void)state;

    cpn_hex_encode(in, sizeof in, hex);
    assert_string_equal(hex, "007fa5ff");
    assert_int_equal(cpn_hex_decode("007FA5ff", 8, out, 4), CPN_OK);
    assert_memory_equal(in, out, 4);
    assert_int_equal(cpn_hex_decode("007fa5f", 7, out, 4), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_hex_decode("007fa5fg", 8, out, 4), CPN_ERR_BAD_REQUEST);
    assert_int_equal(out[0], 0);
    assert_int_equal(cpn_hex_decode("007fa5ff", 8, out, 3), CPN_ERR_BAD_REQUEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keygen_twice_makes_ids_1_and_2_with_private_modes),
        cmocka_unit_test(rotation_keeps_old_codes_valid_and_issues_with_the_new_key),
        cmocka_unit_test(load_dir_refuses_secret_files_others_can_read),
        cmocka_unit_test(load_dir_refuses_bad_contents),
        cmocka_unit_test(keygen_stops_at_id_255),
        cmocka_unit_test(public_keys_round_trip_through_a_pos_key_directory),
        cmocka_unit_test(add_public_rejects_bad_ids_points_and_conflicts),
        cmocka_unit_test(hex_helpers_round_trip_and_reject_bad_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
