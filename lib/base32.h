/* Private helpers shared by the code modules of libcoupon: the Crockford
 * base32 alphabet, input normalisation, bit packing, the Damm check symbol
 * over GF(32). */
#ifndef COUPON_BASE32_H
#define COUPON_BASE32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/code.h"
#include "coupon/err.h"

/* "0123456789ABCDEFGHJKMNPQRSTVWXYZ": symbol value -> character. */
extern const char cpn_b32_alphabet[33];

/* Normalises LEN bytes of TEXT into symbol values (0..31): case folded, O->0,
 * I/L->1, spaces and dashes skipped. Writes at most MAX symbols into SYMS.
 * Returns CPN_OK with *N set, or CPN_ERR_MALFORMED_CODE for any other
 * character, for LEN > CPN_CODE_INPUT_MAX or for more than MAX symbols. */
CPN_MUST_CHECK enum cpn_err cpn_b32_normalise(const char *text, size_t len, uint8_t *syms,
                                              size_t max, size_t *n);

/* Writes ceil(NBYTES*8/5) symbol values of BYTES (most significant bit first,
 * the last symbol padded with zero bits) into SYMS. */
void cpn_b32_pack(const uint8_t *bytes, size_t nbytes, uint8_t *syms);

/* Inverse of cpn_b32_pack: reads ceil(NBYTES*8/5) symbols from SYMS into
 * NBYTES bytes. Returns false (BYTES unspecified) if a padding bit is set,
 * so that every byte string has exactly one encoding. */
bool cpn_b32_unpack(const uint8_t *syms, size_t nbytes, uint8_t *bytes);

/* Number of symbols for NBYTES bytes. */
static inline size_t cpn_b32_symbols(size_t nbytes)
{
    return (nbytes * 8 + 4) / 5;
}

/* The Damm quasigroup x*y = 2x + y over GF(32) = GF(2)[x]/(x^5 + x^2 + 1). */
static inline uint8_t cpn_damm_step(uint8_t state, uint8_t sym)
{
    uint8_t d = (uint8_t)(state << 1);
    if (d & 0x20)
        d ^= 0x25;
    return (uint8_t)(d ^ sym);
}

/* The Damm state after N symbols, starting from 0. A string is valid when
 * the state after all its symbols (check symbol included) is 0. */
static inline uint8_t cpn_damm(const uint8_t *syms, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = cpn_damm_step(s, syms[i]);
    return s;
}

/* The check symbol c with damm_step(STATE, c) == 0, i.e. c = 2 * STATE. */
static inline uint8_t cpn_damm_check_symbol(uint8_t state)
{
    return cpn_damm_step(state, 0);
}

#endif
