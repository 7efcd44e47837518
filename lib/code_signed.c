/* The signed form of a code: a binary payload (version, key id, the short
 * form, campaign, expiry, offer, card binding) and its Ed25519 signature,
 * written in Crockford base32 for QR alphanumeric mode. */
#include <string.h>

#include <sodium.h>

#include "base32.h"
#include "code_signed.h"
#include "coupon/code.h"
#include "coupon/keys.h"

#define SIGNED_VERSION 1

/* Domain separation for the signature. */
static const char SIGN_CONTEXT[] = "coupond-signed-v1";
#define SIGN_CONTEXT_LEN (sizeof SIGN_CONTEXT - 1)

/* Payload sizes without and with the bound card serial. */
#define PAYLOAD_LEN       29
#define PAYLOAD_BOUND_LEN 33

#define FLAG_KIND_MASK  0x03
#define FLAG_SLOT_SHIFT 2
#define FLAG_SLOT_MASK  0x0c
#define FLAG_BOUND      0x10
#define FLAG_ALL        0x1f

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Whether the payload fields of C are in range and consistent: a card has no
 * campaign, expiry, offer or binding; a coupon has an offer kind 1..3; an
 * unbound code has card_serial 0. The sign key id is not looked at. */
static bool payload_fields_ok(const struct cpn_code *c)
{
    if (c->mac_slot > 3)
        return false;
    if (!c->bound_to_card && c->card_serial != 0)
        return false;
    if (c->kind == CPN_KIND_CARD)
        return !c->bound_to_card && c->campaign == 0 && c->expiry == 0 &&
               c->offer_kind == CPN_OFFER_NONE && c->offer_value == 0 && c->min_basket_cents == 0;
    if (c->kind == CPN_KIND_COUPON)
        return c->offer_kind == CPN_OFFER_PERCENT || c->offer_kind == CPN_OFFER_AMOUNT ||
               c->offer_kind == CPN_OFFER_POINTS || c->offer_kind == CPN_OFFER_POINTS_MULTIPLY;
    return false;
}

/* Writes the payload of C (fields already checked) into P; returns its length. */
static size_t encode_payload(const struct cpn_code *c, uint8_t p[PAYLOAD_BOUND_LEN])
{
    p[0] = SIGNED_VERSION;
    p[1] = c->sign_key_id;
    p[2] = (uint8_t)((unsigned)c->kind | ((unsigned)c->mac_slot << FLAG_SLOT_SHIFT) |
                     (c->bound_to_card ? FLAG_BOUND : 0));
    put_u32(p + 3, c->serial);
    memcpy(p + 7, c->mac_tag, CPN_MAC_TAG_BYTES);
    put_u32(p + 12, c->campaign);
    put_u32(p + 16, c->expiry);
    p[20] = (uint8_t)c->offer_kind;
    put_u32(p + 21, c->offer_value);
    put_u32(p + 25, c->min_basket_cents);
    if (!c->bound_to_card)
        return PAYLOAD_LEN;
    put_u32(p + 29, c->card_serial);
    return PAYLOAD_BOUND_LEN;
}

/* "coupond-signed-v1" || payload into MSG; returns its length. */
static size_t signed_message(const struct cpn_code *c,
                             uint8_t msg[SIGN_CONTEXT_LEN + PAYLOAD_BOUND_LEN])
{
    memcpy(msg, SIGN_CONTEXT, SIGN_CONTEXT_LEN);
    return SIGN_CONTEXT_LEN + encode_payload(c, msg + SIGN_CONTEXT_LEN);
}

enum cpn_err cpn_signed_parse_symbols(const uint8_t *syms, size_t n, struct cpn_code *out)
{
    uint8_t raw[PAYLOAD_BOUND_LEN + CPN_SIGNATURE_BYTES];
    size_t payload_len;
    unsigned flags;

    memset(out, 0, sizeof *out);
    if (n == cpn_b32_symbols(PAYLOAD_LEN + CPN_SIGNATURE_BYTES))
        payload_len = PAYLOAD_LEN;
    else if (n == cpn_b32_symbols(PAYLOAD_BOUND_LEN + CPN_SIGNATURE_BYTES))
        payload_len = PAYLOAD_BOUND_LEN;
    else
        return CPN_ERR_MALFORMED_CODE;
    if (!cpn_b32_unpack(syms, payload_len + CPN_SIGNATURE_BYTES, raw))
        return CPN_ERR_MALFORMED_CODE;
    flags = raw[2];
    if (raw[0] != SIGNED_VERSION || raw[1] == 0 || (flags & ~(unsigned)FLAG_ALL) != 0 ||
        (flags & FLAG_KIND_MASK) > CPN_KIND_CARD ||
        ((flags & FLAG_BOUND) != 0) != (payload_len == PAYLOAD_BOUND_LEN))
        return CPN_ERR_MALFORMED_CODE;

    out->kind = (enum cpn_kind)(flags & FLAG_KIND_MASK);
    out->mac_slot = (uint8_t)((flags & FLAG_SLOT_MASK) >> FLAG_SLOT_SHIFT);
    out->bound_to_card = (flags & FLAG_BOUND) != 0;
    out->serial = get_u32(raw + 3);
    memcpy(out->mac_tag, raw + 7, CPN_MAC_TAG_BYTES);
    out->is_signed = true;
    out->sign_key_id = raw[1];
    out->campaign = get_u32(raw + 12);
    out->expiry = get_u32(raw + 16);
    out->offer_kind = (enum cpn_offer_kind)raw[20];
    out->offer_value = get_u32(raw + 21);
    out->min_basket_cents = get_u32(raw + 25);
    if (out->bound_to_card)
        out->card_serial = get_u32(raw + 29);
    memcpy(out->signature, raw + payload_len, CPN_SIGNATURE_BYTES);
    /* Only values that pass payload_fields_ok() have a signed form, so that
     * parsing and formatting are inverses. */
    if (raw[20] > CPN_OFFER_POINTS_MULTIPLY || !payload_fields_ok(out)) {
        memset(out, 0, sizeof *out);
        return CPN_ERR_MALFORMED_CODE;
    }
    return CPN_OK;
}

/* Writes the signed form of C (fields checked, signature set) into OUT. */
static enum cpn_err write_signed(const struct cpn_code *c, char *out, size_t out_size,
                                 size_t *out_len)
{
    uint8_t raw[PAYLOAD_BOUND_LEN + CPN_SIGNATURE_BYTES];
    uint8_t syms[CPN_SIGNED_MAX_LEN];
    size_t payload_len = encode_payload(c, raw);
    size_t n = cpn_b32_symbols(payload_len + CPN_SIGNATURE_BYTES);

    if (out_size < n + 1)
        return CPN_ERR_BAD_REQUEST;
    memcpy(raw + payload_len, c->signature, CPN_SIGNATURE_BYTES);
    cpn_b32_pack(raw, payload_len + CPN_SIGNATURE_BYTES, syms);
    for (size_t i = 0; i < n; i++)
        out[i] = cpn_b32_alphabet[syms[i]];
    out[n] = '\0';
    if (out_len != NULL)
        *out_len = n;
    return CPN_OK;
}

enum cpn_err cpn_code_sign_as(const struct cpn_keyring *keys, unsigned key_id,
                              struct cpn_code *code, char *out, size_t out_size, size_t *out_len)
{
    uint8_t msg[SIGN_CONTEXT_LEN + PAYLOAD_BOUND_LEN];
    struct cpn_code signed_code;
    enum cpn_err err;

    if (out != NULL && out_size > 0)
        out[0] = '\0';
    if (keys == NULL || code == NULL || out == NULL || !payload_fields_ok(code))
        return CPN_ERR_BAD_REQUEST;
    if (key_id == 0 || key_id > CPN_KEY_ID_MAX)
        return CPN_ERR_UNKNOWN_KEY;
    signed_code = *code;
    signed_code.is_signed = true;
    signed_code.sign_key_id = (uint8_t)key_id;
    err = cpn_keyring_sign(keys, key_id, msg, signed_message(&signed_code, msg),
                           signed_code.signature);
    if (err == CPN_OK)
        err = write_signed(&signed_code, out, out_size, out_len);
    if (err != CPN_OK) {
        if (out_size > 0)
            out[0] = '\0';
        return err;
    }
    *code = signed_code;
    return CPN_OK;
}

enum cpn_err cpn_code_sign(const struct cpn_keyring *keys, struct cpn_code *code, char *out,
                           size_t out_size, size_t *out_len)
{
    return cpn_code_sign_as(keys, cpn_keyring_current_sign_id(keys), code, out, out_size, out_len);
}

enum cpn_err cpn_code_format_signed(const struct cpn_code *code, char *out, size_t out_size,
                                    size_t *out_len)
{
    enum cpn_err err;

    if (out != NULL && out_size > 0)
        out[0] = '\0';
    if (code == NULL || out == NULL || !code->is_signed || code->sign_key_id == 0 ||
        !payload_fields_ok(code))
        return CPN_ERR_BAD_REQUEST;
    err = write_signed(code, out, out_size, out_len);
    if (err != CPN_OK && out_size > 0)
        out[0] = '\0';
    return err;
}

enum cpn_err cpn_code_verify(const struct cpn_keyring *keys, const struct cpn_code *code)
{
    uint8_t msg[SIGN_CONTEXT_LEN + PAYLOAD_BOUND_LEN];

    if (keys == NULL || code == NULL || !code->is_signed || code->sign_key_id == 0 ||
        !payload_fields_ok(code))
        return CPN_ERR_BAD_REQUEST;
    return cpn_keyring_verify(keys, code->sign_key_id, msg, signed_message(code, msg),
                              code->signature);
}
