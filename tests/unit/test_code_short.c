/* Unit tests of the short form: fixed vectors, the Damm check symbol against
 * every single substitution and adjacent transposition, the MAC against
 * random codes, normalisation, and the offensive-group filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coupon/code.h"
#include "coupon/hex.h"
#include "coupon/keys.h"

static const char ALPHABET[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Fixed keys of the test vectors (docs/codes.md). */
static const char MAC_KEY_HEX[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char SEED_HEX[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

/* A fixed-seed generator (splitmix64) so that every run tests the same codes. */
static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The Damm quasigroup of docs/codes.md, written independently of the library:
 * x*y = 2x + y in GF(32) with x^5 + x^2 + 1. */
static unsigned qg(unsigned x, unsigned y)
{
    unsigned d = x << 1;
    if (d & 0x20)
        d ^= 0x25;
    return d ^ y;
}

static unsigned damm(const unsigned *syms, size_t n)
{
    unsigned s = 0;
    for (size_t i = 0; i < n; i++)
        s = qg(s, syms[i]);
    return s;
}

static struct cpn_keyring *vector_keyring(void)
{
    struct cpn_keyring *k = cpn_keyring_new();
    uint8_t mac[32], seed[32];

    assert_non_null(k);
    assert_int_equal(cpn_hex_decode(MAC_KEY_HEX, 64, mac, 32), CPN_OK);
    assert_int_equal(cpn_hex_decode(SEED_HEX, 64, seed, 32), CPN_OK);
    assert_int_equal(cpn_keyring_add_mac_key(k, 1, mac), CPN_OK);
    assert_int_equal(cpn_keyring_add_sign_seed(k, 1, seed), CPN_OK);
    return k;
}

/* A keyring with a MAC key in every slot (ids 1..4), random keys. */
static struct cpn_keyring *four_slot_keyring(void)
{
    struct cpn_keyring *k = cpn_keyring_new();
    uint8_t key[32];

    assert_non_null(k);
    for (unsigned id = 1; id <= 4; id++) {
        for (size_t i = 0; i < sizeof key; i++)
            key[i] = (uint8_t)rng();
        assert_int_equal(cpn_keyring_add_mac_key(k, id, key), CPN_OK);
    }
    return k;
}

static enum cpn_err parse_str(const char *s, struct cpn_code *c)
{
    return cpn_code_parse(s, strlen(s), c);
}

static void short_vectors_match_fixed_keys(void **state)
{
    static const struct {
        enum cpn_kind kind;
        uint32_t serial;
        const char *text;
    } vectors[] = {
        {CPN_KIND_COUPON, 1, "4000-001W-4KPX-BQPE"},
        {CPN_KIND_CARD, 4294967295u, "QZZZ-ZZZ8-4PJ8-PV5C"},
        {CPN_KIND_COUPON, 123456789, "43NQ-K8NJ-EY6V-MB3J"},
    };
    struct cpn_keyring *k = vector_keyring();
    (void)state;

    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        struct cpn_code c, p;
        char s[CPN_SHORT_LEN + 1];

        assert_int_equal(cpn_code_issue(k, vectors[i].kind, vectors[i].serial, &c, s), CPN_OK);
        assert_string_equal(s, vectors[i].text);
        assert_int_equal(c.mac_slot, 1);
        assert_int_equal(parse_str(vectors[i].text, &p), CPN_OK);
        assert_false(p.is_signed);
        assert_int_equal(p.kind, vectors[i].kind);
        assert_int_equal(p.serial, vectors[i].serial);
        assert_int_equal(p.mac_slot, 1);
        assert_memory_equal(p.mac_tag, c.mac_tag, CPN_MAC_TAG_BYTES);
        assert_int_equal(cpn_code_check_mac(k, NULL, &p), CPN_OK);
    }
    cpn_keyring_free(k);
}

/* Proves the check symbol's guarantee for every 16-symbol string, by
 * exhausting the quasigroup: (1) for each state c, x -> c*x is a bijection,
 * so a substitution anywhere changes every later state, and the final state
 * is 0 only for one symbol at each place; (2) (c*x)*y == (c*y)*x only if
 * x == y, so an adjacent transposition of data symbols changes the state
 * after the pair and hence the final state; (3) for the last data symbol x
 * and check symbol d = check(c*x), swapping them gives (c*d)*x != 0 unless
 * d == x. (1) also needs: c -> c*x is a bijection (a substitution before
 * the end cannot be undone by a later symbol that is the same). */
static void damm_quasigroup_detects_all_single_errors_exhaustively(void **state)
{
    (void)state;
    for (unsigned c = 0; c < 32; c++) {
        unsigned seen_row = 0, seen_col = 0;
        for (unsigned x = 0; x < 32; x++) {
            seen_row |= 1u << qg(c, x);
            seen_col |= 1u << qg(x, c);
        }
        assert_int_equal(seen_row, 0xffffffffu);
        assert_int_equal(seen_col, 0xffffffffu);
        for (unsigned x = 0; x < 32; x++)
            for (unsigned y = 0; y < 32; y++) {
                if (x == y)
                    continue;
                assert_int_not_equal(qg(qg(c, x), y), qg(qg(c, y), x));
            }
        for (unsigned x = 0; x < 32; x++) {
            unsigned d = 0;
            while (qg(qg(c, x), d) != 0)
                d++;
            if (d != x)
                assert_int_not_equal(qg(qg(c, d), x), 0);
        }
    }
}

static void expect_rejected(const char *s)
{
    struct cpn_code c;
    enum cpn_err err = parse_str(s, &c);

    if (err != CPN_ERR_TYPO && err != CPN_ERR_MALFORMED_CODE)
        fail_msg("accepted altered code %s (err %d)", s, err);
}

static void every_substitution_and_adjacent_transposition_is_a_typo(void **state)
{
    struct cpn_keyring *k = four_slot_keyring();
    size_t checked = 0;
    (void)state;

    for (int n = 0; n < 10000; n++) {
        struct cpn_code c;
        char s[CPN_SHORT_LEN + 1], t[CPN_SHORT_LEN + 1];
        size_t pos[CPN_SHORT_SYMBOLS], np = 0;

        assert_int_equal(cpn_code_issue(k, (enum cpn_kind)(rng() & 1), (uint32_t)rng(), &c, s),
                         CPN_OK);
        for (size_t i = 0; i < CPN_SHORT_LEN; i++)
            if (s[i] != '-')
                pos[np++] = i;
        assert_int_equal(np, CPN_SHORT_SYMBOLS);
        for (size_t p = 0; p < np; p++) {
            for (size_t a = 0; a < 32; a++) {
                if (ALPHABET[a] == s[pos[p]])
                    continue;
                memcpy(t, s, sizeof t);
                t[pos[p]] = ALPHABET[a];
                expect_rejected(t);
                checked++;
            }
            if (p + 1 < np && s[pos[p]] != s[pos[p + 1]]) {
                memcpy(t, s, sizeof t);
                t[pos[p]] = s[pos[p + 1]];
                t[pos[p + 1]] = s[pos[p]];
                expect_rejected(t);
                checked++;
            }
        }
        /* A substitution must be reported as a typo, not just as malformed. */
        memcpy(t, s, sizeof t);
        t[0] = t[0] == 'Z' ? 'Y' : 'Z';
        assert_int_equal(parse_str(t, &c), CPN_ERR_TYPO);
    }
    print_message("altered codes rejected: %zu\n", checked);
    cpn_keyring_free(k);
}

/* Builds a well-formed short form from 75 random bits and the check symbol. */
static void random_short(char out[CPN_SHORT_LEN + 1])
{
    unsigned syms[CPN_SHORT_SYMBOLS];
    uint64_t a = rng(), b = rng();
    size_t k = 0;

    for (int i = 0; i < 12; i++)
        syms[i] = (unsigned)(a >> (5 * i)) & 31;
    for (int i = 12; i < 15; i++)
        syms[i] = (unsigned)(b >> (5 * (i - 12))) & 31;
    syms[15] = qg(damm(syms, 15), 0);
    for (int i = 0; i < CPN_SHORT_SYMBOLS; i++) {
        if (i > 0 && i % 4 == 0)
            out[k++] = '-';
        out[k++] = ALPHABET[syms[i]];
    }
    out[k] = '\0';
}

static void random_well_formed_codes_fail_the_mac_check(void **state)
{
    struct cpn_keyring *k = four_slot_keyring();
    size_t accepted = 0, forged = 0;
    (void)state;

    for (int n = 0; n < 1000000; n++) {
        struct cpn_code c;
        char s[CPN_SHORT_LEN + 1];
        enum cpn_err err;

        random_short(s);
        assert_int_equal(parse_str(s, &c), CPN_OK);
        err = cpn_code_check_mac(k, NULL, &c);
        if (err == CPN_OK)
            accepted++;
        else if (err == CPN_ERR_FORGED_CODE)
            forged++;
    }
    print_message("random codes: %zu accepted, %zu forged of 1000000\n", accepted, forged);
    assert_int_equal(accepted, 0);
    assert_int_equal(forged, 1000000);
    cpn_keyring_free(k);
}

static void normalisation_accepts_case_separators_and_confusables(void **state)
{
    static const char *const same[] = {
        "43NQ-K8NJ-EY6V-MB3J",     "43nq-k8nj-ey6v-mb3j",    "43NQK8NJEY6VMB3J",
        "43 NQ K8 NJ EY 6V MB 3J", "  43nq k8nj-ey6v mb3j ", "43-N-Q-K8NJ--EY6VMB3J",
        "4000-001W-4KPX-BQPE",     "4OOO-OO1W-4KPX-BQPE",    "4ooo-0oIw-4kpx-bqpe",
        "4000-00LW-4KPX-BQPE",     "4000-00lW-4KPX-BQPE",    "4000-00iW-4KPX-BQPE",
    };
    struct cpn_keyring *k = vector_keyring();
    (void)state;

    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        struct cpn_code c;
        char s[CPN_SHORT_LEN + 1];

        assert_int_equal(parse_str(same[i], &c), CPN_OK);
        assert_int_equal(cpn_code_check_mac(k, NULL, &c), CPN_OK);
        assert_int_equal(cpn_code_format_short(&c, s), CPN_OK);
        assert_string_equal(s, i < 6 ? "43NQ-K8NJ-EY6V-MB3J" : "4000-001W-4KPX-BQPE");
    }
    cpn_keyring_free(k);
}

static void parse_rejects_bad_characters_and_lengths(void **state)
{
    static const char *const malformed[] = {
        "",                           /* nothing */
        "43NQ-K8NJ-EY6V-MB3",         /* 15 symbols */
        "43NQ-K8NJ-EY6V-MB3JJ",       /* 17 symbols */
        "43NQ-K8NJ-EY6V-MB3U",        /* U is not in the alphabet */
        "43NQ_K8NJ_EY6V_MB3J",        /* underscores are not separators */
        "43NQ-K8NJ-EY6V-MB3J\n",      /* neither are newlines */
        "43NQ\tK8NJ-EY6V-MB3J",       /* nor tabs */
        "43NQ-K8NJ-EY6V-MB3\xc3\x9f", /* non-ASCII */
    };
    struct cpn_code c;
    char long_input[400];
    (void)state;

    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        assert_int_equal(parse_str(malformed[i], &c), CPN_ERR_MALFORMED_CODE);
    /* An embedded NUL is a bad character, not the end of the input. */
    assert_int_equal(cpn_code_parse("43NQ-K8NJ-EY6V-MB3J\0", 20, &c), CPN_ERR_MALFORMED_CODE);
    /* More than CPN_CODE_INPUT_MAX bytes is malformed even if mostly spaces. */
    memset(long_input, ' ', sizeof long_input);
    memcpy(long_input, "43NQ-K8NJ-EY6V-MB3J", 19);
    assert_int_equal(cpn_code_parse(long_input, CPN_CODE_INPUT_MAX, &c), CPN_OK);
    assert_int_equal(cpn_code_parse(long_input, CPN_CODE_INPUT_MAX + 1, &c),
                     CPN_ERR_MALFORMED_CODE);
    assert_int_equal(cpn_code_parse(NULL, 0, &c), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_code_parse("x", 1, NULL), CPN_ERR_BAD_REQUEST);
    /* Errors leave a zeroed struct. */
    assert_int_equal(parse_str("43NQ-K8NJ-EY6V-MB3K", &c), CPN_ERR_TYPO);
    assert_int_equal(c.serial, 0);
}

static void parse_reads_only_len_bytes(void **state)
{
    /* Exactly 19 bytes on the heap, no NUL: ASan catches any read past them. */
    char *buf = malloc(CPN_SHORT_LEN);
    struct cpn_code c;
    (void)state;

    assert_non_null(buf);
    memcpy(buf, "43NQ-K8NJ-EY6V-MB3J", CPN_SHORT_LEN);
    assert_int_equal(cpn_code_parse(buf, CPN_SHORT_LEN, &c), CPN_OK);
    assert_int_equal(c.serial, 123456789);
    assert_int_equal(cpn_code_parse(buf, CPN_SHORT_LEN - 1, &c), CPN_ERR_MALFORMED_CODE);
    free(buf);
}

static void format_and_parse_round_trip(void **state)
{
    (void)state;
    for (int n = 0; n < 100000; n++) {
        struct cpn_code c, p;
        char s[CPN_SHORT_LEN + 1];
        uint64_t r = rng();

        memset(&c, 0, sizeof c);
        c.kind = (enum cpn_kind)(r & 1);
        c.mac_slot = (uint8_t)((r >> 1) & 3);
        c.serial = (uint32_t)(r >> 32);
        for (int i = 0; i < CPN_MAC_TAG_BYTES; i++)
            c.mac_tag[i] = (uint8_t)(r >> (3 + 5 * i));
        assert_int_equal(cpn_code_format_short(&c, s), CPN_OK);
        assert_int_equal(strlen(s), CPN_SHORT_LEN);
        assert_int_equal(parse_str(s, &p), CPN_OK);
        assert_memory_equal(&c, &p, sizeof c);
    }
}

static void format_rejects_out_of_range_fields(void **state)
{
    struct cpn_code c = {0};
    char s[CPN_SHORT_LEN + 1];
    (void)state;

    c.mac_slot = 4;
    assert_int_equal(cpn_code_format_short(&c, s), CPN_ERR_BAD_REQUEST);
    assert_string_equal(s, "");
    c.mac_slot = 0;
    c.kind = (enum cpn_kind)2;
    assert_int_equal(cpn_code_format_short(&c, s), CPN_ERR_BAD_REQUEST);
}

static void mac_check_rejects_altered_fields_and_unknown_slots(void **state)
{
    struct cpn_keyring *k = vector_keyring();
    struct cpn_code c, d;
    (void)state;

    assert_int_equal(cpn_code_issue(k, CPN_KIND_COUPON, 77, &c, NULL), CPN_OK);
    assert_int_equal(cpn_code_check_mac(k, NULL, &c), CPN_OK);
    d = c;
    d.serial = 78;
    assert_int_equal(cpn_code_check_mac(k, NULL, &d), CPN_ERR_FORGED_CODE);
    d = c;
    d.kind = CPN_KIND_CARD;
    assert_int_equal(cpn_code_check_mac(k, NULL, &d), CPN_ERR_FORGED_CODE);
    d = c;
    d.mac_tag[4] ^= 1;
    assert_int_equal(cpn_code_check_mac(k, NULL, &d), CPN_ERR_FORGED_CODE);
    d = c;
    d.mac_slot = 2; /* no MAC key with id mod 4 == 2 */
    assert_int_equal(cpn_code_check_mac(k, NULL, &d), CPN_ERR_UNKNOWN_KEY);
    cpn_keyring_free(k);
}

static void keyring_without_mac_key_cannot_issue_or_check(void **state)
{
    struct cpn_keyring *k = cpn_keyring_new();
    struct cpn_keyring *v = vector_keyring();
    struct cpn_code c;
    char s[CPN_SHORT_LEN + 1];
    uint8_t pub[32];
    (void)state;

    assert_int_equal(cpn_keyring_public_key(v, 1, pub), CPN_OK);
    assert_int_equal(cpn_keyring_add_public(k, 1, pub), CPN_OK);
    assert_int_equal(cpn_code_issue(k, CPN_KIND_COUPON, 1, &c, s), CPN_ERR_UNKNOWN_KEY);
    assert_string_equal(s, "");
    assert_int_equal(parse_str("4000-001W-4KPX-BQPE", &c), CPN_OK);
    assert_int_equal(cpn_code_check_mac(k, NULL, &c), CPN_ERR_UNKNOWN_KEY);
    assert_int_equal(cpn_code_check_mac(v, NULL, &c), CPN_OK);
    cpn_keyring_free(k);
    cpn_keyring_free(v);
}

static void clean_filter_rejects_blocklisted_groups(void **state)
{
    static const char *const dirty[] = {
        "0123-4588-ABCD-EFGH", /* 88 */
        "0123-SS00-ABCD-EFGH", /* SS */
        "0123-4567-F4G0-EFGH", /* FAG */
        "0123-4567-ABCD-S3XY", /* SEX */
        "KKK0-4567-ABCD-EFGH", /* KKK */
        "0123-N4Z1-ABCD-EFGH", /* NAZI */
        "0123-4567-ABCD-FVCK", /* FUCK */
        "0123-4567-F1CK-EFGH", /* FICK */
        "0123-A55X-ABCD-EFGH", /* ASS */
        "0123-4567-H1TL-EFGH", /* HITL(ER) */
    };
    (void)state;

    for (size_t i = 0; i < sizeof dirty / sizeof dirty[0]; i++)
        if (cpn_short_is_clean(dirty[i]))
            fail_msg("%s passed the filter", dirty[i]);
    assert_true(cpn_short_is_clean("0123-4567-ABCD-EFGH"));
    /* A word across a group boundary is not read as one. */
    assert_true(cpn_short_is_clean("0128-8567-ABCD-EFGH"));
    /* Anything but the canonical form is not clean. */
    assert_false(cpn_short_is_clean("0123-4567-abcd-efgh"));
    assert_false(cpn_short_is_clean("01234567ABCDEFGH"));
    assert_false(cpn_short_is_clean("0123-4567-ABCD-EFGHJ"));
    assert_false(cpn_short_is_clean("0123-4567-ABCD-EFGU"));
    assert_false(cpn_short_is_clean(NULL));
}

static void clean_filter_rejects_under_five_percent(void **state)
{
    struct cpn_keyring *k = four_slot_keyring();
    const int total = 200000;
    int rejected = 0;
    (void)state;

    for (int n = 0; n < total; n++) {
        struct cpn_code c;
        char s[CPN_SHORT_LEN + 1];

        assert_int_equal(cpn_code_issue(k, CPN_KIND_COUPON, (uint32_t)n, &c, s), CPN_OK);
        rejected += !cpn_short_is_clean(s);
    }
    print_message("offensive-group filter: %d of %d rejected (%.2f%%)\n", rejected, total,
                  100.0 * rejected / total);
    assert_true(rejected > 0);
    assert_true(rejected * 20 < total);
    cpn_keyring_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(short_vectors_match_fixed_keys),
        cmocka_unit_test(damm_quasigroup_detects_all_single_errors_exhaustively),
        cmocka_unit_test(every_substitution_and_adjacent_transposition_is_a_typo),
        cmocka_unit_test(random_well_formed_codes_fail_the_mac_check),
        cmocka_unit_test(normalisation_accepts_case_separators_and_confusables),
        cmocka_unit_test(parse_rejects_bad_characters_and_lengths),
        cmocka_unit_test(parse_reads_only_len_bytes),
        cmocka_unit_test(format_and_parse_round_trip),
        cmocka_unit_test(format_rejects_out_of_range_fields),
        cmocka_unit_test(mac_check_rejects_altered_fields_and_unknown_slots),
        cmocka_unit_test(keyring_without_mac_key_cannot_issue_or_check),
        cmocka_unit_test(clean_filter_rejects_blocklisted_groups),
        cmocka_unit_test(clean_filter_rejects_under_five_percent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
