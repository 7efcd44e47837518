/* libFuzzer target for the short form: cpn_code_parse on arbitrary bytes
 * must never crash or read past its input, and whatever it accepts as a
 * short form must format back to the same symbols and parse to the same
 * struct; the offensive-group filter and the MAC check must not crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coupon/code.h"
#include "coupon/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cpn_keyring *keyring(void)
{
    static struct cpn_keyring *keys;
    uint8_t key[32];

    if (keys != NULL)
        return keys;
    keys = cpn_keyring_new();
    if (keys == NULL)
        abort();
    for (unsigned id = 1; id <= 4; id++) {
        memset(key, (int)id, sizeof key);
        if (cpn_keyring_add_mac_key(keys, id, key) != CPN_OK)
            abort();
    }
    return keys;
}

/* The symbols of the input as the documented normalisation reads them. */
static size_t normalise(const uint8_t *data, size_t size, char *out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < size && n < max; i++) {
        char c = (char)data[i];
        if (c == ' ' || c == '-')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c == 'O')
            c = '0';
        if (c == 'I' || c == 'L')
            c = '1';
        out[n++] = c;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct cpn_code zero;
    struct cpn_code c, again;
    char s[CPN_SHORT_LEN + 1], syms[CPN_SHORT_SYMBOLS + 1], text[64];
    enum cpn_err err = cpn_code_parse((const char *)data, size, &c);
    enum cpn_err mac;

    /* The filter takes a C string; give it the input as one. */
    if (size < sizeof text) {
        memcpy(text, data, size);
        text[size] = '\0';
        (void)cpn_short_is_clean(text);
    }
    if (err != CPN_OK) {
        if (memcmp(&c, &zero, sizeof c) != 0)
            abort(); /* errors leave a zeroed struct */
        if (err != CPN_ERR_MALFORMED_CODE && err != CPN_ERR_TYPO)
            abort();
        return 0;
    }
    if (c.is_signed)
        return 0; /* fuzz_signed checks those */
    if (size > CPN_CODE_INPUT_MAX || cpn_code_format_short(&c, s) != CPN_OK)
        abort();
    /* The canonical form has the input's symbols, in groups of four. */
    if (normalise(data, size, syms, CPN_SHORT_SYMBOLS) != CPN_SHORT_SYMBOLS)
        abort();
    for (size_t i = 0, k = 0; i < CPN_SHORT_LEN; i++) {
        if (i % 5 == 4) {
            if (s[i] != '-')
                abort();
        } else if (s[i] != syms[k++]) {
            abort();
        }
    }
    if (cpn_code_parse(s, strlen(s), &again) != CPN_OK || memcmp(&c, &again, sizeof c) != 0)
        abort();
    (void)cpn_short_is_clean(s);
    mac = cpn_code_check_mac(keyring(), NULL, &c);
    if (mac != CPN_OK && mac != CPN_ERR_FORGED_CODE)
        abort();
    return 0;
}
