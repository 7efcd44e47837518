/* Unit tests of key rotation and retirement: key ranges name the one MAC key of every serial,
 * so codes keep working across any number of rotations with one candidate key per code (the
 * 2^-40 bar); serials from before ranges follow the older slot rule; a retired key's codes
 * are refused in both forms; retired-<id> files load, count for keygen and round-trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "coupon/code.h"
#include "coupon/key_ranges.h"
#include "coupon/keys.h"

#define KEYS 11

/* A keyring holding MAC and signing keys 1..KEYS (key i's bytes are all i). */
static struct cpn_keyring *eleven_keys(void)
{
    struct cpn_keyring *k = cpn_keyring_new();
    assert_non_null(k);
    for (unsigned id = 1; id <= KEYS; id++) {
        uint8_t bytes[32];
        memset(bytes, (int)id, sizeof bytes);
        assert_int_equal(cpn_keyring_add_mac_key(k, id, bytes), CPN_OK);
        assert_int_equal(cpn_keyring_add_sign_seed(k, id, bytes), CPN_OK);
    }
    return k;
}

/* Ranges as ten rotations leave them when only keys 1, 5 and 11 ever issued coupons. */
static struct cpn_key_ranges *ten_rotations(void)
{
    struct cpn_key_ranges *r = cpn_key_ranges_new();
    assert_non_null(r);
    assert_int_equal(cpn_key_ranges_add(r, CPN_KIND_COUPON, 1, 1), CPN_OK);
    assert_int_equal(cpn_key_ranges_add(r, CPN_KIND_COUPON, 5, 100), CPN_OK);
    assert_int_equal(cpn_key_ranges_add(r, CPN_KIND_COUPON, 11, 200), CPN_OK);
    assert_int_equal(cpn_key_ranges_add(r, CPN_KIND_CARD, 1, 1), CPN_OK);
    cpn_key_ranges_set_horizon(r, CPN_KIND_COUPON, 300);
    return r;
}

/* The short form of (KIND, SERIAL) made with MAC key ID alone (a keyring holding only it). */
static struct cpn_code made_with(unsigned id, enum cpn_kind kind, uint32_t serial)
{
    struct cpn_keyring *one = cpn_keyring_new();
    uint8_t bytes[32];
    memset(bytes, (int)id, sizeof bytes);
    assert_int_equal(cpn_keyring_add_mac_key(one, id, bytes), CPN_OK);
    struct cpn_code c;
    assert_int_equal(cpn_code_issue(one, kind, serial, &c, NULL), CPN_OK);
    cpn_keyring_free(one);
    return c;
}

static void ranges_name_the_key_of_every_serial(void **state)
{
    (void)state;
    struct cpn_key_ranges *r = ten_rotations();
    assert_int_equal(cpn_key_ranges_key(r, CPN_KIND_COUPON, 1), 1);
    assert_int_equal(cpn_key_ranges_key(r, CPN_KIND_COUPON, 99), 1);
    assert_int_equal(cpn_key_ranges_key(r, CPN_KIND_COUPON, 100), 5);
    assert_int_equal(cpn_key_ranges_key(r, CPN_KIND_COUPON, 199), 5);
    assert_int_equal(cpn_key_ranges_key(r, CPN_KIND_COUPON, 200), 11);
    assert_int_equal(cpn_key_ranges_key(r, CPN_KIND_COUPON, UINT32_MAX), 11);
    assert_int_equal(cpn_key_ranges_key(r, CPN_KIND_CARD, 12345), 1);
    assert_int_equal(cpn_key_ranges_key(NULL, CPN_KIND_CARD, 12345), 0);
    assert_int_equal(cpn_key_ranges_first_key(r, CPN_KIND_COUPON), 1);
    assert_int_equal(cpn_key_ranges_horizon(r, CPN_KIND_COUPON), 300);
    /* Out of order, bad ids and serials are refused and change nothing. */
    assert_int_equal(cpn_key_ranges_add(r, CPN_KIND_COUPON, 11, 400), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_key_ranges_add(r, CPN_KIND_COUPON, 12, 150), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_key_ranges_add(r, CPN_KIND_COUPON, 256, 500), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_key_ranges_add(r, CPN_KIND_COUPON, 12, 0), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_key_ranges_add(r, (enum cpn_kind)2, 12, 500), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_key_ranges_key(r, CPN_KIND_COUPON, 100000), 11);
    /* Keys activated with nothing issued in between: the newer one holds the serial. */
    assert_int_equal(cpn_key_ranges_add(r, CPN_KIND_COUPON, 12, 300), CPN_OK);
    assert_int_equal(cpn_key_ranges_add(r, CPN_KIND_COUPON, 13, 300), CPN_OK);
    assert_int_equal(cpn_key_ranges_key(r, CPN_KIND_COUPON, 300), 13);
    assert_int_equal(cpn_key_ranges_key(r, CPN_KIND_COUPON, 299), 11);
    cpn_key_ranges_free(r);
    cpn_key_ranges_free(NULL);
}

static void codes_of_key_1_work_after_ten_rotations_in_both_forms(void **state)
{
    (void)state;
    struct cpn_keyring *k = eleven_keys();
    struct cpn_key_ranges *r = ten_rotations();
    struct cpn_code coupon = made_with(1, CPN_KIND_COUPON, 50);
    struct cpn_code card = made_with(1, CPN_KIND_CARD, 777);
    assert_int_equal(cpn_code_check_mac(k, r, &coupon), CPN_OK);
    assert_int_equal(cpn_code_check_mac(k, r, &card), CPN_OK);
    /* The slot rule alone (no ranges) takes key 9 for slot 1: it would call them forged. */
    assert_int_equal(cpn_code_check_mac(k, NULL, &coupon), CPN_ERR_FORGED_CODE);
    /* The signed form of key 1 holds too, signed by key 1 as issued. */
    coupon.offer_kind = CPN_OFFER_AMOUNT;
    coupon.offer_value = 100;
    char text[CPN_SIGNED_MAX_LEN + 1];
    assert_int_equal(cpn_code_sign_as(k, 1, &coupon, text, sizeof text, NULL), CPN_OK);
    struct cpn_code parsed;
    assert_int_equal(cpn_code_parse(text, strlen(text), &parsed), CPN_OK);
    assert_int_equal(cpn_code_verify(k, &parsed), CPN_OK);
    assert_int_equal(cpn_code_check_mac(k, r, &parsed), CPN_OK);
    /* Codes of the later keys in their ranges. */
    struct cpn_code c5 = made_with(5, CPN_KIND_COUPON, 150),
                    c11 = made_with(11, CPN_KIND_COUPON, 250);
    assert_int_equal(cpn_code_check_mac(k, r, &c5), CPN_OK);
    assert_int_equal(cpn_code_check_mac(k, r, &c11), CPN_OK);
    /* A key outside its range does not vouch for a serial, even one sharing the slot. */
    struct cpn_code wrong = made_with(1, CPN_KIND_COUPON, 150); /* key 5's range, slot 1 */
    assert_int_equal(cpn_code_check_mac(k, r, &wrong), CPN_ERR_FORGED_CODE);
    wrong = made_with(9, CPN_KIND_COUPON, 50); /* key 9 never issued */
    assert_int_equal(cpn_code_check_mac(k, r, &wrong), CPN_ERR_FORGED_CODE);
    wrong = made_with(2, CPN_KIND_COUPON, 50); /* another slot than the range's key */
    assert_int_equal(cpn_code_check_mac(k, r, &wrong), CPN_ERR_FORGED_CODE);
    /* Writing a code again gives the code that was issued, whatever key is current now. */
    struct cpn_code again;
    char s1[CPN_SHORT_LEN + 1], s2[CPN_SHORT_LEN + 1];
    assert_int_equal(cpn_code_derive(k, r, CPN_KIND_COUPON, 50, &again, s1), CPN_OK);
    assert_int_equal(cpn_code_format_short(&coupon, s2), CPN_OK);
    assert_string_equal(s1, s2);
    assert_int_equal(cpn_code_issuer_key(k, r, CPN_KIND_COUPON, 250), 11);
    assert_int_equal(cpn_code_issuer_key(k, r, CPN_KIND_CARD, 5), 1);
    cpn_key_ranges_free(r);
    cpn_keyring_free(k);
}

static void every_serial_has_exactly_one_candidate_key(void **state)
{
    (void)state;
    struct cpn_keyring *k = eleven_keys();
    struct cpn_key_ranges *r = ten_rotations();
    /* A guess names a kind, a slot and a serial: of the four slots, at most one has a key
     * that could have made it, so a random tag passes with probability 2^-40 per try. */
    const uint32_t serials[] = {1, 50, 99, 100, 150, 199, 200, 250, UINT32_MAX};
    for (size_t i = 0; i < sizeof serials / sizeof serials[0]; i++) {
        for (int kind = 0; kind < 2; kind++) {
            int candidates = 0;
            for (uint8_t slot = 0; slot < 4; slot++) {
                struct cpn_code c = {
                    .kind = (enum cpn_kind)kind, .serial = serials[i], .mac_slot = slot};
                unsigned id = 0;
                if (cpn_code_mac_key(k, r, &c, &id) == CPN_OK) {
                    candidates++;
                    assert_int_equal(id % 4, slot);
                }
            }
            assert_int_equal(candidates, 1);
        }
    }
    cpn_key_ranges_free(r);
    cpn_keyring_free(k);
}

static void serials_from_before_ranges_follow_the_slot_rule_of_then(void **state)
{
    (void)state;
    struct cpn_keyring *k = eleven_keys();
    /* Ranges began when key 6 was current, at serial 1000: older serials were issued with
     * whatever key held their slot then, keys up to 6. */
    struct cpn_key_ranges *r = cpn_key_ranges_new();
    assert_int_equal(cpn_key_ranges_add(r, CPN_KIND_COUPON, 6, 1000), CPN_OK);
    assert_int_equal(cpn_key_ranges_add(r, CPN_KIND_COUPON, 9, 2000), CPN_OK);
    const unsigned then[4] = {4, 5, 6, 3}; /* slot 0..3: the highest id <= 6 */
    for (uint8_t slot = 0; slot < 4; slot++) {
        struct cpn_code c = made_with(then[slot], CPN_KIND_COUPON, 10);
        assert_int_equal(c.mac_slot, slot);
        assert_int_equal(cpn_code_check_mac(k, r, &c), CPN_OK);
    }
    struct cpn_code older = made_with(2, CPN_KIND_COUPON, 10); /* slot 2 was key 6's by then */
    assert_int_equal(cpn_code_check_mac(k, r, &older), CPN_ERR_FORGED_CODE);
    /* ... and are written again with the key that was current then. */
    assert_int_equal(cpn_code_issuer_key(k, r, CPN_KIND_COUPON, 10), 6);
    /* Without any range of the kind, the current key is the boundary (the rule before). */
    assert_int_equal(cpn_code_issuer_key(k, r, CPN_KIND_CARD, 10), KEYS);
    struct cpn_code only = made_with(3, CPN_KIND_COUPON, 10);
    struct cpn_keyring *three = cpn_keyring_new();
    uint8_t bytes[32];
    memset(bytes, 3, sizeof bytes);
    assert_int_equal(cpn_keyring_add_mac_key(three, 3, bytes), CPN_OK);
    only.mac_slot = 0; /* no key id <= 3 has slot 0 */
    assert_int_equal(cpn_code_check_mac(three, NULL, &only), CPN_ERR_UNKNOWN_KEY);
    cpn_keyring_free(three);
    cpn_key_ranges_free(r);
    cpn_keyring_free(k);
}

/* The rotation cases of tests/unit/vectors/codes_ref.py (docs/codes.md), which an independent
 * implementation of the rule reproduces: which key, if any, can have made (kind, slot,
 * serial), given the ranges and the current key. */
static void the_rule_matches_the_reference_cases(void **state)
{
    (void)state;
    static const struct {
        int table; /* 0: ten rotations, 1: ranges began at key 6, 2: none */
        unsigned current;
        enum cpn_kind kind;
        uint8_t slot;
        uint32_t serial;
        unsigned want; /* 0: none */
    } cases[] = {
        {0, 11, CPN_KIND_COUPON, 1, 50, 1},         {0, 11, CPN_KIND_CARD, 1, 777, 1},
        {0, 11, CPN_KIND_COUPON, 1, 150, 5},        {0, 11, CPN_KIND_COUPON, 3, 250, 11},
        {0, 11, CPN_KIND_COUPON, 1, 250, 0},        {0, 11, CPN_KIND_COUPON, 2, 50, 0},
        {0, 11, CPN_KIND_COUPON, 1, UINT32_MAX, 0}, {1, 11, CPN_KIND_COUPON, 0, 10, 4},
        {1, 11, CPN_KIND_COUPON, 1, 10, 5},         {1, 11, CPN_KIND_COUPON, 2, 10, 6},
        {1, 11, CPN_KIND_COUPON, 3, 10, 3},         {1, 11, CPN_KIND_COUPON, 1, 1500, 0},
        {1, 11, CPN_KIND_COUPON, 2, 1500, 6},       {1, 11, CPN_KIND_CARD, 3, 10, 11},
        {2, 3, CPN_KIND_COUPON, 0, 10, 0},          {2, 3, CPN_KIND_COUPON, 3, 10, 3},
    };
    struct cpn_key_ranges *tables[3] = {ten_rotations(), cpn_key_ranges_new(), NULL};
    assert_int_equal(cpn_key_ranges_add(tables[1], CPN_KIND_COUPON, 6, 1000), CPN_OK);
    assert_int_equal(cpn_key_ranges_add(tables[1], CPN_KIND_COUPON, 9, 2000), CPN_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cpn_keyring *k = cpn_keyring_new();
        for (unsigned id = 1; id <= cases[i].current; id++) {
            uint8_t bytes[32];
            memset(bytes, (int)id, sizeof bytes);
            assert_int_equal(cpn_keyring_add_mac_key(k, id, bytes), CPN_OK);
        }
        struct cpn_code c = {
            .kind = cases[i].kind, .mac_slot = cases[i].slot, .serial = cases[i].serial};
        unsigned id = 0;
        enum cpn_err err = cpn_code_mac_key(k, tables[cases[i].table], &c, &id);
        if (id != cases[i].want)
            fprintf(stderr, "case %zu: key %u, the document says %u\n", i, id, cases[i].want);
        assert_int_equal(id, cases[i].want);
        assert_true((err == CPN_OK) == (cases[i].want != 0));
        cpn_keyring_free(k);
    }
    cpn_key_ranges_free(tables[0]);
    cpn_key_ranges_free(tables[1]);
}

static void a_retired_key_refuses_its_codes_in_both_forms(void **state)
{
    (void)state;
    struct cpn_keyring *k = eleven_keys();
    struct cpn_key_ranges *r = ten_rotations();
    struct cpn_code coupon = made_with(1, CPN_KIND_COUPON, 50);
    coupon.offer_kind = CPN_OFFER_PERCENT;
    coupon.offer_value = 10;
    char text[CPN_SIGNED_MAX_LEN + 1];
    assert_int_equal(cpn_code_sign_as(k, 1, &coupon, text, sizeof text, NULL), CPN_OK);
    struct cpn_code fresh = made_with(11, CPN_KIND_COUPON, 250);

    assert_int_equal(cpn_keyring_retire(k, 1), CPN_OK);
    assert_true(cpn_keyring_is_retired(k, 1));
    assert_false(cpn_keyring_is_retired(k, 2));
    assert_int_equal(cpn_keyring_retire(k, 0), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_code_check_mac(k, r, &coupon), CPN_ERR_KEY_RETIRED);
    assert_int_equal(cpn_code_verify(k, &coupon), CPN_ERR_KEY_RETIRED);
    assert_int_equal(cpn_code_sign_as(k, 1, &coupon, text, sizeof text, NULL), CPN_ERR_KEY_RETIRED);
    assert_int_equal(cpn_code_check_mac(k, r, &fresh), CPN_OK);
    /* The newest key retired: the one below it issues and signs. */
    assert_int_equal(cpn_keyring_retire(k, KEYS), CPN_OK);
    assert_int_equal(cpn_keyring_current_mac_id(k), KEYS - 1);
    assert_int_equal(cpn_keyring_current_sign_id(k), KEYS - 1);
    assert_int_equal(cpn_code_check_mac(k, r, &fresh), CPN_ERR_KEY_RETIRED);
    cpn_key_ranges_free(r);
    cpn_keyring_free(k);
}

static void retired_files_load_count_for_keygen_and_round_trip(void **state)
{
    (void)state;
    char root[64], keys[96], pub[96], path[160];
    snprintf(root, sizeof root, "/tmp/cpn-rot-XXXXXX");
    assert_non_null(mkdtemp(root));
    snprintf(keys, sizeof keys, "%s/keys", root);
    snprintf(pub, sizeof pub, "%s/pub", root);
    unsigned id = 0;
    assert_int_equal(cpn_keygen(keys, &id), CPN_OK);
    assert_int_equal(cpn_keygen(keys, &id), CPN_OK);
    assert_int_equal(id, 2);
    snprintf(path, sizeof path, "%s/retired-1", keys);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("leaked on 2026-11-30\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/retired-3", keys); /* retired before it was ever used */
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    struct cpn_keyring *k = cpn_keyring_new();
    assert_int_equal(cpn_keyring_load_dir(k, keys), CPN_OK);
    assert_true(cpn_keyring_is_retired(k, 1));
    assert_false(cpn_keyring_is_retired(k, 2));
    assert_true(cpn_keyring_is_retired(k, 3));
    assert_int_equal(cpn_keyring_current_mac_id(k), 2);
    /* keygen never reuses a retired id. */
    assert_int_equal(cpn_keygen(keys, &id), CPN_OK);
    assert_int_equal(id, 4);
    /* A till's key directory keeps the retirement. */
    assert_int_equal(cpn_keyring_save_public_dir(k, pub), CPN_OK);
    struct cpn_keyring *p = cpn_keyring_new();
    assert_int_equal(cpn_keyring_load_dir(p, pub), CPN_OK);
    assert_true(cpn_keyring_is_retired(p, 1));
    assert_false(cpn_keyring_is_retired(p, 2));
    cpn_keyring_free(p);
    cpn_keyring_free(k);
    const char *names[] = {"keys/mac-1.key", "keys/sign-1.key", "keys/sign-1.pub",
                           "keys/mac-2.key", "keys/sign-2.key", "keys/sign-2.pub",
                           "keys/mac-4.key", "keys/sign-4.key", "keys/sign-4.pub",
                           "keys/retired-1", "keys/retired-3",  "pub/sign-1.pub",
                           "pub/sign-2.pub", "pub/retired-1",   "pub/retired-3"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", root, names[i]);
        unlink(path);
    }
    rmdir(keys);
    rmdir(pub);
    assert_int_equal(rmdir(root), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ranges_name_the_key_of_every_serial),
        cmocka_unit_test(codes_of_key_1_work_after_ten_rotations_in_both_forms),
        cmocka_unit_test(every_serial_has_exactly_one_candidate_key),
        cmocka_unit_test(serials_from_before_ranges_follow_the_slot_rule_of_then),
        cmocka_unit_test(the_rule_matches_the_reference_cases),
        cmocka_unit_test(a_retired_key_refuses_its_codes_in_both_forms),
        cmocka_unit_test(retired_files_load_count_for_keygen_and_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
