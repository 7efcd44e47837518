/* libFuzzer target for the signed form: cpn_code_parse on arbitrary text,
 * and on the base32 encoding of arbitrary 93- or 97-byte binaries (so that
 * the fuzzer can explore the payload fields directly). Whatever parses as a
 * signed form must format back to the same text and parse to the same
 * struct; verification and the MAC check must not crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coupon/code.h"
#include "coupon/hex.h"
#include "coupon/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ALPHABET[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* The key of the test vectors (docs/codes.md), so seeds verify. */
static struct cpn_keyring *keyring(void)
{
    static struct cpn_keyring *keys;
    uint8_t seed[32], mac[32];

    if (keys != NULL)
        return keys;
    keys = cpn_keyring_new();
    if (keys == NULL ||
        cpn_hex_decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", 64, seed,
                       32) != CPN_OK ||
        cpn_keyring_add_sign_seed(keys, 1, seed) != CPN_OK)
        abort();
    for (unsigned i = 0; i < 32; i++)
        mac[i] = (uint8_t)i;
    if (cpn_keyring_add_mac_key(keys, 1, mac) != CPN_OK)
        abort();
    return keys;
}

static void check_signed(const struct cpn_code *c, const char *canonical, size_t canonical_len)
{
    char out[CPN_SIGNED_MAX_LEN + 1], s[CPN_SHORT_LEN + 1];
    struct cpn_code again;
    size_t len = 0;
    enum cpn_err err;

    if (!c->is_signed || cpn_code_format_signed(c, out, sizeof out, &len) != CPN_OK)
        abort();
    if (len != canonical_len || memcmp(out, canonical, len) != 0)
        abort();
    if (cpn_code_parse(out, len, &again) != CPN_OK || memcmp(c, &again, sizeof again) != 0)
        abort();
    if (cpn_code_format_short(c, s) != CPN_OK)
        abort();
    err = cpn_code_verify(keyring(), c);
    if (err != CPN_OK && err != CPN_ERR_FORGED_CODE && err != CPN_ERR_UNKNOWN_KEY)
        abort();
    err = cpn_code_check_mac(keyring(), NULL, c);
    if (err != CPN_OK && err != CPN_ERR_FORGED_CODE && err != CPN_ERR_UNKNOWN_KEY)
        abort();
}

/* Text input: the canonical text is the input's symbols, normalised. */
static void fuzz_text(const uint8_t *data, size_t size)
{
    char canonical[CPN_CODE_INPUT_MAX];
    struct cpn_code c;
    size_t n = 0;

    if (cpn_code_parse((const char *)data, size, &c) != CPN_OK || !c.is_signed)
        return;
    for (size_t i = 0; i < size; i++) {
        char ch = (char)data[i];
        if (ch == ' ' || ch == '-')
            continue;
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        ch = ch == 'O' ? '0' : (ch == 'I' || ch == 'L') ? '1' : ch;
        if (n == sizeof canonical)
            abort();
        canonical[n++] = ch;
    }
    check_signed(&c, canonical, n);
}

/* Binary input of a signed form's size: encode it and parse the text. */
static void fuzz_binary(const uint8_t *data, size_t size)
{
    char text[CPN_SIGNED_MAX_LEN + 1];
    size_t bits = size * 8, n = 0;
    struct cpn_code c;
    enum cpn_err err;

    for (size_t b = 0; b < bits; b += 5) {
        unsigned v = 0;
        for (size_t i = 0; i < 5; i++) {
            size_t bit = b + i;
            v = (v << 1) | (bit < bits ? (data[bit / 8] >> (7 - bit % 8)) & 1u : 0u);
        }
        text[n++] = ALPHABET[v];
    }
    err = cpn_code_parse(text, n, &c);
    if (err == CPN_OK)
        check_signed(&c, text, n);
    else if (err != CPN_ERR_MALFORMED_CODE)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_text(data, size);
    if (size == 29 + 64 || size == 33 + 64)
        fuzz_binary(data, size);
    return 0;
}
