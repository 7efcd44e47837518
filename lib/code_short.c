/* The short form of a code (16 Crockford base32 symbols: kind, MAC slot,
 * serial, 40-bit MAC tag, Damm check symbol), and the parser entry point
 * that tells the short form from the signed form. */
#include <string.h>

#include <sodium.h>

#include "base32.h"
#include "code_signed.h"
#include "coupon/code.h"
#include "coupon/key_ranges.h"
#include "coupon/keys.h"

/* Domain separation for the short form's MAC. */
static const char MAC_CONTEXT[] = "coupond-short-v1";
#define MAC_CONTEXT_LEN (sizeof MAC_CONTEXT - 1)
#define MAC_MSG_LEN     (MAC_CONTEXT_LEN + 1 + 1 + 4)

/* Symbols 0..6 carry kind (1 bit), slot (2 bits), serial (32 bits); symbols
 * 7..14 the 40-bit tag; symbol 15 the check symbol. */
static void short_symbols(const struct cpn_code *c, uint8_t syms[CPN_SHORT_SYMBOLS])
{
    uint64_t head = ((uint64_t)c->kind << 34) | ((uint64_t)c->mac_slot << 32) | c->serial;
    uint64_t tag = 0;

    for (int i = 0; i < CPN_MAC_TAG_BYTES; i++)
        tag = (tag << 8) | c->mac_tag[i];
    for (int i = 0; i < 7; i++)
        syms[i] = (uint8_t)((head >> (30 - 5 * i)) & 31);
    for (int i = 0; i < 8; i++)
        syms[7 + i] = (uint8_t)((tag >> (35 - 5 * i)) & 31);
    syms[15] = cpn_damm_check_symbol(cpn_damm(syms, 15));
}

static enum cpn_err parse_short(const uint8_t syms[CPN_SHORT_SYMBOLS], struct cpn_code *out)
{
    uint64_t head = 0, tag = 0;

    if (cpn_damm(syms, CPN_SHORT_SYMBOLS) != 0)
        return CPN_ERR_TYPO;
    for (int i = 0; i < 7; i++)
        head = (head << 5) | syms[i];
    for (int i = 7; i < 15; i++)
        tag = (tag << 5) | syms[i];
    out->kind = (enum cpn_kind)(head >> 34);
    out->mac_slot = (uint8_t)((head >> 32) & 3);
    out->serial = (uint32_t)head;
    for (int i = 0; i < CPN_MAC_TAG_BYTES; i++)
        out->mac_tag[i] = (uint8_t)(tag >> (32 - 8 * i));
    return CPN_OK;
}

enum cpn_err cpn_code_parse(const char *text, size_t len, struct cpn_code *out)
{
    uint8_t syms[CPN_SIGNED_MAX_LEN];
    size_t n;
    enum cpn_err err;

    if (out == NULL)
        return CPN_ERR_BAD_REQUEST;
    memset(out, 0, sizeof *out);
    if (text == NULL)
        return CPN_ERR_BAD_REQUEST;
    err = cpn_b32_normalise(text, len, syms, sizeof syms, &n);
    if (err != CPN_OK)
        return err;
    if (n == CPN_SHORT_SYMBOLS)
        err = parse_short(syms, out);
    else if (n == CPN_SIGNED_LEN || n == CPN_SIGNED_BOUND_LEN)
        err = cpn_signed_parse_symbols(syms, n, out);
    else
        err = CPN_ERR_MALFORMED_CODE;
    if (err != CPN_OK)
        memset(out, 0, sizeof *out);
    return err;
}

static bool short_fields_ok(const struct cpn_code *c)
{
    return (c->kind == CPN_KIND_COUPON || c->kind == CPN_KIND_CARD) && c->mac_slot <= 3;
}

enum cpn_err cpn_code_format_short(const struct cpn_code *code, char out[CPN_SHORT_LEN + 1])
{
    uint8_t syms[CPN_SHORT_SYMBOLS];
    size_t k = 0;

    if (out == NULL)
        return CPN_ERR_BAD_REQUEST;
    out[0] = '\0';
    if (code == NULL || !short_fields_ok(code))
        return CPN_ERR_BAD_REQUEST;
    short_symbols(code, syms);
    for (int i = 0; i < CPN_SHORT_SYMBOLS; i++) {
        if (i > 0 && i % 4 == 0)
            out[k++] = '-';
        out[k++] = cpn_b32_alphabet[syms[i]];
    }
    out[k] = '\0';
    return CPN_OK;
}

/* HMAC-SHA-256(MAC key KEY_ID, "coupond-short-v1" || kind || slot || serial BE). */
static enum cpn_err short_mac(const struct cpn_keyring *keys, unsigned key_id,
                              const struct cpn_code *c, uint8_t mac[32])
{
    uint8_t msg[MAC_MSG_LEN];

    memcpy(msg, MAC_CONTEXT, MAC_CONTEXT_LEN);
    msg[MAC_CONTEXT_LEN] = (uint8_t)c->kind;
    msg[MAC_CONTEXT_LEN + 1] = c->mac_slot;
    msg[MAC_CONTEXT_LEN + 2] = (uint8_t)(c->serial >> 24);
    msg[MAC_CONTEXT_LEN + 3] = (uint8_t)(c->serial >> 16);
    msg[MAC_CONTEXT_LEN + 4] = (uint8_t)(c->serial >> 8);
    msg[MAC_CONTEXT_LEN + 5] = (uint8_t)c->serial;
    return cpn_keyring_mac(keys, key_id, msg, sizeof msg, mac);
}

/* Fills *OUT with the short form of (KIND, SERIAL) under MAC key KEY_ID (and SHORT_OUT, if
 * not NULL). On error *OUT is zeroed and SHORT_OUT empty. */
static enum cpn_err issue_with(const struct cpn_keyring *keys, unsigned key_id, enum cpn_kind kind,
                               uint32_t serial, struct cpn_code *out,
                               char short_out[CPN_SHORT_LEN + 1])
{
    uint8_t mac[32];
    enum cpn_err err;

    if (short_out != NULL)
        short_out[0] = '\0';
    if (out == NULL)
        return CPN_ERR_BAD_REQUEST;
    memset(out, 0, sizeof *out);
    if (keys == NULL || (kind != CPN_KIND_COUPON && kind != CPN_KIND_CARD))
        return CPN_ERR_BAD_REQUEST;
    if (key_id == 0)
        return CPN_ERR_UNKNOWN_KEY;
    out->kind = kind;
    out->serial = serial;
    out->mac_slot = (uint8_t)(key_id % 4);
    err = short_mac(keys, key_id, out, mac);
    if (err != CPN_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    memcpy(out->mac_tag, mac, CPN_MAC_TAG_BYTES);
    if (short_out != NULL)
        return cpn_code_format_short(out, short_out);
    return CPN_OK;
}

enum cpn_err cpn_code_issue(const struct cpn_keyring *keys, enum cpn_kind kind, uint32_t serial,
                            struct cpn_code *out, char short_out[CPN_SHORT_LEN + 1])
{
    return issue_with(keys, cpn_keyring_current_mac_id(keys), kind, serial, out, short_out);
}

/* The legacy boundary of KIND: the key that was current when ranges began to be recorded,
 * or, without ranges, the keyring's current MAC key. */
static unsigned legacy_key(const struct cpn_keyring *keys, const struct cpn_key_ranges *ranges,
                           enum cpn_kind kind)
{
    unsigned first = cpn_key_ranges_first_key(ranges, kind);
    return first != 0 ? first : cpn_keyring_current_mac_id(keys);
}

unsigned cpn_code_issuer_key(const struct cpn_keyring *keys, const struct cpn_key_ranges *ranges,
                             enum cpn_kind kind, uint32_t serial)
{
    unsigned id = cpn_key_ranges_key(ranges, kind, serial);
    return id != 0 ? id : legacy_key(keys, ranges, kind);
}

enum cpn_err cpn_code_derive(const struct cpn_keyring *keys, const struct cpn_key_ranges *ranges,
                             enum cpn_kind kind, uint32_t serial, struct cpn_code *out,
                             char short_out[CPN_SHORT_LEN + 1])
{
    return issue_with(keys, cpn_code_issuer_key(keys, ranges, kind, serial), kind, serial, out,
                      short_out);
}

enum cpn_err cpn_code_mac_key(const struct cpn_keyring *keys, const struct cpn_key_ranges *ranges,
                              const struct cpn_code *code, unsigned *key_id)
{
    unsigned id;

    if (key_id != NULL)
        *key_id = 0;
    if (keys == NULL || code == NULL || key_id == NULL || !short_fields_ok(code))
        return CPN_ERR_BAD_REQUEST;
    id = cpn_key_ranges_key(ranges, code->kind, code->serial);
    if (id != 0 && id % 4 != code->mac_slot)
        return CPN_ERR_FORGED_CODE; /* no key that issued this serial has this slot */
    if (id == 0) {
        /* Issued before ranges were recorded: the highest key up to the legacy boundary with
         * this slot, as the rotation rule was then. */
        unsigned last = legacy_key(keys, ranges, code->kind);
        unsigned back = (last + 4 - code->mac_slot) % 4;
        if (last == 0 || last <= back)
            return CPN_ERR_UNKNOWN_KEY;
        id = last - back;
    }
    if (cpn_keyring_is_retired(keys, id))
        return CPN_ERR_KEY_RETIRED;
    if (!cpn_keyring_has_mac(keys, id))
        return CPN_ERR_UNKNOWN_KEY;
    *key_id = id;
    return CPN_OK;
}

enum cpn_err cpn_code_check_mac(const struct cpn_keyring *keys, const struct cpn_key_ranges *ranges,
                                const struct cpn_code *code)
{
    uint8_t mac[32];
    unsigned id;
    enum cpn_err err = cpn_code_mac_key(keys, ranges, code, &id);

    if (err == CPN_OK)
        err = short_mac(keys, id, code, mac);
    if (err != CPN_OK)
        return err;
    if (sodium_memcmp(mac, code->mac_tag, CPN_MAC_TAG_BYTES) != 0)
        return CPN_ERR_FORGED_CODE;
    return CPN_OK;
}
