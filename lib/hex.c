/* Hex text for keys: 32-byte keys are kept in key files and sent in GET /v1/keys as 64 hex
 * digits. */
#include <stdint.h>

#include <sodium.h>

#include "coupon/hex.h"

void cpn_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

/* The value of hex digit C (either case), or -1 when it is not one. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

enum cpn_err cpn_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_len)
{
    if (hex == NULL || out == NULL || out_len > SIZE_MAX / 2 || hex_len != 2 * out_len)
        return CPN_ERR_BAD_REQUEST;
    for (size_t i = 0; i < out_len; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            sodium_memzero(out, out_len);
            return CPN_ERR_BAD_REQUEST;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return CPN_OK;
}
