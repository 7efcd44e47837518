/* Receipt codes: the purchase and its crediting deadline, packed big-endian, with a 128-bit
 * HMAC-SHA-256 tag of the service's MAC key over a label and the packed bytes, written as
 * "RC" + Crockford base32. Layout (docs/codes.md, "Receipt codes"):
 *   version 1 | key id 1 | store 4 | issued_at 4 | valid_until 4 | basket 6 |
 *   terminal length 1 | terminal | txn length 1 | txn | tag 16 */
#include <string.h>

#include <sodium.h>

#include "base32.h"
#include "coupon/keys.h"
#include "coupon/receipt_code.h"

#define VERSION  1
#define TAG      16
#define FIXED    21 /* version .. basket (20 bytes) and the terminal's length */
#define MAX_BODY (FIXED + 1 + CPN_RECEIPT_TERMINAL_MAX + 1 + CPN_RECEIPT_TXN_MAX)
#define LABEL    "coupond receipt code v1"

static bool printable(const char *s, size_t max, size_t *len)
{
    size_t n = strnlen(s, max + 1);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return false;
    *len = n;
    return true;
}

static void put(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

/* The tag of BODY (LEN bytes) with MAC key ID into TAG_OUT. */
static enum cpn_err tag_of(const struct cpn_keyring *keys, unsigned id, const uint8_t *body,
                           size_t len, uint8_t tag_out[TAG])
{
    uint8_t msg[sizeof LABEL + MAX_BODY], mac[32];
    memcpy(msg, LABEL, sizeof LABEL); /* the label and its NUL */
    memcpy(msg + sizeof LABEL, body, len);
    enum cpn_err err = cpn_keyring_mac(keys, id, msg, sizeof LABEL + len, mac);
    if (err == CPN_OK)
        memcpy(tag_out, mac, TAG);
    sodium_memzero(mac, sizeof mac);
    return err;
}

enum cpn_err cpn_receipt_make(const struct cpn_keyring *keys, struct cpn_receipt *r,
                              char out[CPN_RECEIPT_CODE_MAX])
{
    out[0] = '\0';
    size_t tl, xl;
    if (!printable(r->terminal, CPN_RECEIPT_TERMINAL_MAX, &tl) ||
        !printable(r->txn, CPN_RECEIPT_TXN_MAX, &xl) || r->basket_cents < 0 ||
        r->basket_cents > CPN_RECEIPT_BASKET_MAX)
        return CPN_ERR_BAD_REQUEST;
    unsigned id = cpn_keyring_current_mac_id(keys);
    if (id == 0)
        return CPN_ERR_UNKNOWN_KEY;
    uint8_t b[MAX_BODY + TAG];
    b[0] = VERSION;
    b[1] = (uint8_t)id;
    put(b + 2, r->store, 4);
    put(b + 6, r->issued_at, 4);
    put(b + 10, r->valid_until, 4);
    put(b + 14, (uint64_t)r->basket_cents, 6);
    size_t n = FIXED - 1;
    b[n++] = (uint8_t)tl;
    memcpy(b + n, r->terminal, tl);
    n += tl;
    b[n++] = (uint8_t)xl;
    memcpy(b + n, r->txn, xl);
    n += xl;
    enum cpn_err err = tag_of(keys, id, b, n, b + n);
    if (err != CPN_OK)
        return err;
    n += TAG;
    uint8_t syms[(sizeof b * 8 + 4) / 5];
    cpn_b32_pack(b, n, syms);
    size_t ns = cpn_b32_symbols(n);
    out[0] = 'R';
    out[1] = 'C';
    for (size_t i = 0; i < ns; i++)
        out[2 + i] = cpn_b32_alphabet[syms[i]];
    out[2 + ns] = '\0';
    r->key_id = id;
    return CPN_OK;
}

bool cpn_receipt_looks_like(const char *text)
{
    return text != NULL && (text[0] == 'R' || text[0] == 'r') && (text[1] == 'C' || text[1] == 'c');
}

enum cpn_err cpn_receipt_read(const struct cpn_keyring *keys, const char *text, size_t len,
                              struct cpn_receipt *out)
{
    memset(out, 0, sizeof *out);
    if (text == NULL || len < 2 || !cpn_receipt_looks_like(text))
        return CPN_ERR_MALFORMED_CODE;
    uint8_t syms[(MAX_BODY + TAG) * 8 / 5 + 1], b[MAX_BODY + TAG];
    size_t ns;
    if (cpn_b32_normalise(text + 2, len - 2, syms, sizeof syms, &ns) != CPN_OK)
        return CPN_ERR_MALFORMED_CODE;
    size_t n = ns * 5 / 8;
    if (n < FIXED + 2 + TAG || n > sizeof b || cpn_b32_symbols(n) != ns ||
        !cpn_b32_unpack(syms, n, b) || b[0] != VERSION)
        return CPN_ERR_MALFORMED_CODE;
    size_t tl = b[FIXED - 1];
    if (tl == 0 || tl > CPN_RECEIPT_TERMINAL_MAX || FIXED + tl + 1 + TAG > n)
        return CPN_ERR_MALFORMED_CODE;
    size_t xl = b[FIXED + tl];
    if (xl == 0 || xl > CPN_RECEIPT_TXN_MAX || FIXED + tl + 1 + xl + TAG != n)
        return CPN_ERR_MALFORMED_CODE;
    unsigned id = b[1];
    uint8_t tag[TAG];
    if (!cpn_keyring_has_mac(keys, id) || tag_of(keys, id, b, n - TAG, tag) != CPN_OK ||
        sodium_memcmp(tag, b + n - TAG, TAG) != 0)
        return CPN_ERR_FORGED_CODE;
    if (cpn_keyring_is_retired(keys, id))
        return CPN_ERR_KEY_RETIRED;
    struct cpn_receipt r = {.key_id = id,
                            .store = (uint32_t)get(b + 2, 4),
                            .issued_at = (uint32_t)get(b + 6, 4),
                            .valid_until = (uint32_t)get(b + 10, 4),
                            .basket_cents = (int64_t)get(b + 14, 6)};
    memcpy(r.terminal, b + FIXED, tl);
    memcpy(r.txn, b + FIXED + tl + 1, xl);
    size_t t2 = 0, x2 = 0;
    if (!printable(r.terminal, CPN_RECEIPT_TERMINAL_MAX, &t2) ||
        !printable(r.txn, CPN_RECEIPT_TXN_MAX, &x2) || t2 != tl || x2 != xl)
        return CPN_ERR_MALFORMED_CODE; /* made by us, so never: but never trust a length */
    *out = r;
    return CPN_OK;
}
