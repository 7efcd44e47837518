/* Unit tests of the signed form: fixed vectors, the QR capacity bound, bit
 * flips against the signature, strict parsing of the payload, round trips. */
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
static const char MAC_KEY_HEX[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char SEED_HEX[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/* RFC 8032 test 1: the public key of SEED_HEX. */
static const char PUB_HEX[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

/* QR version 7 at level M holds 178 alphanumeric characters. */
#define QR_V7_M_ALNUM 178
#define RAW_MAX       (33 + 64)

static const char *const VEC_COUPON =
    "040G81TVSMAS7F3DT5HG000059MNBE800400000F0000FM5Y7F9T9YEZ12BG3V0TMT3241HEND08"
    "HGRE81YZJRCEZNPM5HKF93C1X34V107Z7CTGVNP3CY4SBHGWX2MF08N0QVX1AJWWMJKY3JJ0Y";
static const char *const VEC_BOUND =
    "040H80000FM2CDFX5N5000000W000000080000FM0000007ZZZZZYDETYMTTCY1AKW55E4"
    "76M3RH17JE6S4K8BCAEXVA2A7N22B2QW2RBEG5ZQQAPHGNPT2FY807NBBGS4HV4A4AHG0P"
    "EF8R89V08QM3CR00";
static const char *const VEC_CARD =
    "040GBZZZZZZM2B94BDJG000000000000000000000000002CG80DTF6YN98WSZ6YKPQB89A4DPP0Z"
    "XZPM9VD3CBJZA4YD8730J6PE7JQ5R8GKCYNW5EZCZEKZR5D0691XFZ50JBDYFX9X6WNGEWGJ";

static uint64_t rng_state = 0x853C49E6748FEA9BULL;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
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

/* Base32 of docs/codes.md, written independently of the library. */
static void b32_encode(const uint8_t *in, size_t n, char *out)
{
    size_t bits = n * 8, k = 0;

    for (size_t b = 0; b < bits; b += 5) {
        unsigned v = 0;
        for (size_t i = 0; i < 5; i++) {
            size_t bit = b + i;
            v <<= 1;
            if (bit < bits)
                v |= (in[bit / 8] >> (7 - bit % 8)) & 1;
        }
        out[k++] = ALPHABET[v];
    }
    out[k] = '\0';
}

static size_t b32_decode(const char *s, uint8_t *out)
{
    size_t n = strlen(s), nbytes = n * 5 / 8;

    memset(out, 0, nbytes);
    for (size_t i = 0; i < n; i++) {
        unsigned v = (unsigned)(strchr(ALPHABET, s[i]) - ALPHABET);
        for (size_t j = 0; j < 5; j++) {
            size_t bit = i * 5 + j;
            if (bit / 8 < nbytes && (v >> (4 - j)) & 1)
                out[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
        }
    }
    return nbytes;
}

static enum cpn_err parse_str(const char *s, struct cpn_code *c)
{
    return cpn_code_parse(s, strlen(s), c);
}

static void signed_vectors_match_fixed_keys(void **state)
{
    struct cpn_keyring *k = vector_keyring();
    struct cpn_code c, p;
    char out[CPN_SIGNED_MAX_LEN + 1], s[CPN_SHORT_LEN + 1];
    uint8_t pub[32], want_pub[32];
    size_t n;
    (void)state;

    assert_int_equal(cpn_keyring_public_key(k, 1, pub), CPN_OK);
    assert_int_equal(cpn_hex_decode(PUB_HEX, 64, want_pub, 32), CPN_OK);
    assert_memory_equal(pub, want_pub, 32);

    /* 15% off from 20.00, campaign 42, expires 2026-01-01T00:00:00Z. */
    assert_int_equal(cpn_code_issue(k, CPN_KIND_COUPON, 123456789, &c, NULL), CPN_OK);
    c.campaign = 42;
    c.expiry = 1767225600;
    c.offer_kind = CPN_OFFER_PERCENT;
    c.offer_value = 15;
    c.min_basket_cents = 2000;
    assert_int_equal(cpn_code_sign(k, &c, out, sizeof out, &n), CPN_OK);
    assert_string_equal(out, VEC_COUPON);
    assert_int_equal(n, CPN_SIGNED_LEN);
    assert_int_equal(parse_str(VEC_COUPON, &p), CPN_OK);
    assert_memory_equal(&p, &c, sizeof p);
    assert_int_equal(cpn_code_verify(k, &p), CPN_OK);
    assert_int_equal(cpn_code_check_mac(k, NULL, &p), CPN_OK);
    assert_int_equal(cpn_code_format_short(&p, s), CPN_OK);
    assert_string_equal(s, "43NQ-K8NJ-EY6V-MB3J");

    /* 5.00 off, campaign 7, no expiry, bound to card 4294967295. */
    assert_int_equal(cpn_code_issue(k, CPN_KIND_COUPON, 1000, &c, NULL), CPN_OK);
    c.campaign = 7;
    c.offer_kind = CPN_OFFER_AMOUNT;
    c.offer_value = 500;
    c.bound_to_card = true;
    c.card_serial = 4294967295u;
    assert_int_equal(cpn_code_sign(k, &c, out, sizeof out, &n), CPN_OK);
    assert_string_equal(out, VEC_BOUND);
    assert_int_equal(n, CPN_SIGNED_BOUND_LEN);
    assert_int_equal(parse_str(VEC_BOUND, &p), CPN_OK);
    assert_true(p.bound_to_card);
    assert_int_equal(p.card_serial, 4294967295u);
    assert_int_equal(cpn_code_verify(k, &p), CPN_OK);
    assert_int_equal(cpn_code_format_short(&p, s), CPN_OK);
    assert_string_equal(s, "4000-0Z84-RTZT-BAA7");

    /* Bonus card 4294967295. */
    assert_int_equal(cpn_code_issue(k, CPN_KIND_CARD, 4294967295u, &c, NULL), CPN_OK);
    assert_int_equal(cpn_code_sign(k, &c, out, sizeof out, &n), CPN_OK);
    assert_string_equal(out, VEC_CARD);
    assert_int_equal(parse_str(VEC_CARD, &p), CPN_OK);
    assert_int_equal(p.kind, CPN_KIND_CARD);
    assert_int_equal(cpn_code_verify(k, &p), CPN_OK);
    assert_int_equal(cpn_code_format_short(&p, s), CPN_OK);
    assert_string_equal(s, "QZZZ-ZZZ8-4PJ8-PV5C");
    cpn_keyring_free(k);
}

static void longest_signed_form_fits_qr_version_7_m(void **state)
{
    struct cpn_keyring *k = vector_keyring();
    struct cpn_code c;
    char out[CPN_SIGNED_MAX_LEN + 1];
    size_t n;
    (void)state;

    assert_int_equal(cpn_code_issue(k, CPN_KIND_COUPON, 0xffffffffu, &c, NULL), CPN_OK);
    c.campaign = c.expiry = c.offer_value = c.min_basket_cents = 0xffffffffu;
    c.offer_kind = CPN_OFFER_POINTS;
    c.bound_to_card = true;
    c.card_serial = 0xffffffffu;
    assert_int_equal(cpn_code_sign(k, &c, out, sizeof out, &n), CPN_OK);
    assert_int_equal(n, CPN_SIGNED_MAX_LEN);
    assert_true(n <= QR_V7_M_ALNUM);
    assert_true(CPN_SIGNED_MAX_LEN <= QR_V7_M_ALNUM);
    /* Too small a buffer is refused, leaving an empty string. */
    assert_int_equal(cpn_code_sign(k, &c, out, CPN_SIGNED_MAX_LEN, &n), CPN_ERR_BAD_REQUEST);
    assert_string_equal(out, "");
    cpn_keyring_free(k);
}

/* A random valid code: coupon (sometimes bound) or card. */
static void random_code(struct cpn_keyring *k, struct cpn_code *c)
{
    uint64_t r = rng();
    enum cpn_kind kind = (r & 3) == 0 ? CPN_KIND_CARD : CPN_KIND_COUPON;

    assert_int_equal(cpn_code_issue(k, kind, (uint32_t)(r >> 32), c, NULL), CPN_OK);
    if (kind == CPN_KIND_CARD)
        return;
    r = rng();
    c->campaign = (uint32_t)r;
    c->expiry = (r >> 32) & 1 ? (uint32_t)(r >> 32) : 0;
    c->offer_kind = (enum cpn_offer_kind)(1 + (r >> 40) % 3);
    r = rng();
    c->offer_value = (uint32_t)r % 100000;
    c->min_basket_cents = (uint32_t)(r >> 32) % 1000000;
    if ((r >> 20) & 1) {
        c->bound_to_card = true;
        c->card_serial = (uint32_t)rng();
    }
}

static void bit_flip_anywhere_is_rejected(void **state)
{
    struct cpn_keyring *k = vector_keyring();
    size_t parse_rejected = 0, verify_rejected = 0, accepted = 0;
    (void)state;

    for (size_t n = 0; n < 100000; n++) {
        struct cpn_code c, p;
        char text[CPN_SIGNED_MAX_LEN + 1];
        uint8_t raw[RAW_MAX];
        size_t len, nbytes, bit;

        random_code(k, &c);
        assert_int_equal(cpn_code_sign(k, &c, text, sizeof text, &len), CPN_OK);
        nbytes = b32_decode(text, raw);
        assert_true(nbytes == 29 + 64 || nbytes == 33 + 64);
        bit = n % (nbytes * 8); /* every bit position, in turn */
        raw[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
        b32_encode(raw, nbytes, text);
        if (parse_str(text, &p) != CPN_OK)
            parse_rejected++;
        else if (cpn_code_verify(k, &p) != CPN_OK)
            verify_rejected++;
        else
            accepted++;
    }
    print_message("bit flips: %zu rejected by the parser, %zu by the signature, %zu accepted\n",
                  parse_rejected, verify_rejected, accepted);
    assert_int_equal(accepted, 0);
    assert_true(verify_rejected > 50000);
    cpn_keyring_free(k);
}

static void sign_parse_format_round_trip(void **state)
{
    struct cpn_keyring *k = vector_keyring();
    (void)state;

    for (int n = 0; n < 2000; n++) {
        struct cpn_code c, p;
        char text[CPN_SIGNED_MAX_LEN + 1], again[CPN_SIGNED_MAX_LEN + 1];
        size_t len, len2;

        random_code(k, &c);
        assert_int_equal(cpn_code_sign(k, &c, text, sizeof text, &len), CPN_OK);
        assert_int_equal(len, strlen(text));
        assert_int_equal(len, c.bound_to_card ? CPN_SIGNED_BOUND_LEN : CPN_SIGNED_LEN);
        assert_int_equal(parse_str(text, &p), CPN_OK);
        assert_memory_equal(&p, &c, sizeof c);
        assert_int_equal(cpn_code_format_signed(&p, again, sizeof again, &len2), CPN_OK);
        assert_string_equal(again, text);
        assert_int_equal(cpn_code_verify(k, &p), CPN_OK);
        assert_int_equal(cpn_code_check_mac(k, NULL, &p), CPN_OK);
    }
    cpn_keyring_free(k);
}

static void signed_form_is_normalised_like_the_short_form(void **state)
{
    char text[2 * CPN_SIGNED_MAX_LEN];
    struct cpn_keyring *k = vector_keyring();
    struct cpn_code c;
    size_t j = 0;
    (void)state;

    /* Lower case, a dash every 5 symbols, 0 as o, 1 as l. */
    for (size_t i = 0; VEC_COUPON[i] != '\0'; i++) {
        char ch = VEC_COUPON[i];
        if (i > 0 && i % 5 == 0)
            text[j++] = i % 10 == 0 ? ' ' : '-';
        text[j++] = ch == '0' ? 'o' : ch == '1' ? 'l' : (char)(ch >= 'A' ? ch + 32 : ch);
    }
    text[j] = '\0';
    assert_true(j <= CPN_CODE_INPUT_MAX);
    assert_int_equal(parse_str(text, &c), CPN_OK);
    assert_int_equal(cpn_code_verify(k, &c), CPN_OK);
    cpn_keyring_free(k);
}

/* Signs raw payload bytes the way the library does, to build test inputs. */
static void make_signed(struct cpn_keyring *k, const uint8_t *payload, size_t n, char *out)
{
    uint8_t msg[17 + 33], raw[RAW_MAX];

    memcpy(msg, "coupond-signed-v1", 17);
    memcpy(msg + 17, payload, n);
    memcpy(raw, payload, n);
    assert_int_equal(cpn_keyring_sign(k, 1, msg, 17 + n, raw + n), CPN_OK);
    b32_encode(raw, n + 64, out);
}

static void parser_rejects_bad_versions_flags_and_fields(void **state)
{
    /* version 1, key 1, flags: coupon slot 1, serial 5, tag, campaign 1,
     * expiry 0, percent 10, min basket 0. */
    static const uint8_t good[29] = {1, 1, 0x04, 0, 0, 0, 5, 1, 2, 3,  4, 5, 0, 0, 0,
                                     1, 0, 0,    0, 0, 1, 0, 0, 0, 10, 0, 0, 0, 0};
    static const struct {
        size_t offset;
        uint8_t value;
        const char *why;
    } bad[] = {
        {0, 0, "version 0"},
        {0, 2, "version 2"},
        {1, 0, "key id 0"},
        {2, 0x06, "kind 2"},
        {2, 0x07, "kind 3"},
        {2, 0x24, "reserved flag bit 5"},
        {2, 0x84, "reserved flag bit 7"},
        {2, 0x14, "bound flag without card serial"},
        {20, 0, "coupon without offer"},
        {20, 5, "offer kind 5"},
    };
    struct cpn_keyring *k = vector_keyring();
    uint8_t payload[33], raw[RAW_MAX];
    char text[CPN_SIGNED_MAX_LEN + 8];
    struct cpn_code c;
    size_t len;
    (void)state;

    make_signed(k, good, sizeof good, text);
    assert_int_equal(parse_str(text, &c), CPN_OK);
    assert_int_equal(cpn_code_verify(k, &c), CPN_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(payload, good, sizeof good);
        payload[bad[i].offset] = bad[i].value;
        make_signed(k, payload, sizeof good, text);
        if (parse_str(text, &c) != CPN_ERR_MALFORMED_CODE)
            fail_msg("accepted a payload with %s", bad[i].why);
    }
    /* A card with a campaign, and a card bound to a card. */
    memcpy(payload, good, sizeof good);
    payload[2] = 0x05;
    make_signed(k, payload, sizeof good, text);
    assert_int_equal(parse_str(text, &c), CPN_ERR_MALFORMED_CODE);
    memset(payload + 12, 0, 17);
    make_signed(k, payload, sizeof good, text);
    assert_int_equal(parse_str(text, &c), CPN_OK);
    payload[2] = 0x15;
    memset(payload + 29, 0xee, 4);
    make_signed(k, payload, 33, text);
    assert_int_equal(parse_str(text, &c), CPN_ERR_MALFORMED_CODE);
    /* Not bound, but long: 33-byte payload without the flag. */
    memcpy(payload, good, sizeof good);
    memset(payload + 29, 0, 4);
    make_signed(k, payload, 33, text);
    assert_int_equal(parse_str(text, &c), CPN_ERR_MALFORMED_CODE);
    /* A set padding bit: the last symbol of 149 carries one padding bit. */
    make_signed(k, good, sizeof good, text);
    len = strlen(text);
    assert_int_equal(len, CPN_SIGNED_LEN);
    assert_int_equal(b32_decode(text, raw), 93);
    text[len - 1] = ALPHABET[(strchr(ALPHABET, text[len - 1]) - ALPHABET) ^ 1];
    assert_int_equal(parse_str(text, &c), CPN_ERR_MALFORMED_CODE);
    /* Lengths next to the valid ones. */
    make_signed(k, good, sizeof good, text);
    text[CPN_SIGNED_LEN - 1] = '\0';
    assert_int_equal(parse_str(text, &c), CPN_ERR_MALFORMED_CODE);
    make_signed(k, good, sizeof good, text);
    memcpy(text + CPN_SIGNED_LEN, "0", 2);
    assert_int_equal(parse_str(text, &c), CPN_ERR_MALFORMED_CODE);
    cpn_keyring_free(k);
}

static void verify_distinguishes_forged_and_unknown_key(void **state)
{
    struct cpn_keyring *k = vector_keyring();
    struct cpn_keyring *pub_only = cpn_keyring_new();
    struct cpn_keyring *empty = cpn_keyring_new();
    struct cpn_code c, d;
    char text[CPN_SIGNED_MAX_LEN + 1];
    uint8_t pub[32];
    (void)state;

    assert_int_equal(cpn_keyring_public_key(k, 1, pub), CPN_OK);
    assert_int_equal(cpn_keyring_add_public(pub_only, 1, pub), CPN_OK);
    assert_int_equal(parse_str(VEC_COUPON, &c), CPN_OK);
    assert_int_equal(cpn_code_verify(pub_only, &c), CPN_OK);
    assert_int_equal(cpn_code_verify(empty, &c), CPN_ERR_UNKNOWN_KEY);
    d = c;
    d.offer_value = 99; /* a field changed after signing */
    assert_int_equal(cpn_code_verify(pub_only, &d), CPN_ERR_FORGED_CODE);
    d = c;
    d.sign_key_id = 2;
    assert_int_equal(cpn_code_verify(pub_only, &d), CPN_ERR_UNKNOWN_KEY);
    d = c;
    d.is_signed = false;
    assert_int_equal(cpn_code_verify(pub_only, &d), CPN_ERR_BAD_REQUEST);
    /* A POS keyring of public keys cannot sign. */
    d = c;
    assert_int_equal(cpn_code_sign(pub_only, &d, text, sizeof text, NULL), CPN_ERR_UNKNOWN_KEY);
    assert_memory_equal(&d, &c, sizeof c);
    cpn_keyring_free(k);
    cpn_keyring_free(pub_only);
    cpn_keyring_free(empty);
}

static void sign_rejects_inconsistent_fields(void **state)
{
    struct cpn_keyring *k = vector_keyring();
    struct cpn_code c, d;
    char text[CPN_SIGNED_MAX_LEN + 1];
    (void)state;

    assert_int_equal(cpn_code_issue(k, CPN_KIND_COUPON, 1, &c, NULL), CPN_OK);
    assert_int_equal(cpn_code_sign(k, &c, text, sizeof text, NULL), CPN_ERR_BAD_REQUEST);
    c.offer_kind = CPN_OFFER_PERCENT;
    d = c;
    d.card_serial = 5; /* not bound */
    assert_int_equal(cpn_code_sign(k, &d, text, sizeof text, NULL), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_code_issue(k, CPN_KIND_CARD, 1, &d, NULL), CPN_OK);
    d.campaign = 3;
    assert_int_equal(cpn_code_sign(k, &d, text, sizeof text, NULL), CPN_ERR_BAD_REQUEST);
    d.campaign = 0;
    d.bound_to_card = true;
    assert_int_equal(cpn_code_sign(k, &d, text, sizeof text, NULL), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_code_format_signed(&c, text, sizeof text, NULL), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_code_sign(k, &c, text, sizeof text, NULL), CPN_OK);
    cpn_keyring_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signed_vectors_match_fixed_keys),
        cmocka_unit_test(longest_signed_form_fits_qr_version_7_m),
        cmocka_unit_test(bit_flip_anywhere_is_rejected),
        cmocka_unit_test(sign_parse_format_round_trip),
        cmocka_unit_test(signed_form_is_normalised_like_the_short_form),
        cmocka_unit_test(parser_rejects_bad_versions_flags_and_fields),
        cmocka_unit_test(verify_distinguishes_forged_and_unknown_key),
        cmocka_unit_test(sign_rejects_inconsistent_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
