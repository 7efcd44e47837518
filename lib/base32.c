/* Crockford base32 for the code forms: the alphabet, normalisation of typed
 * or scanned input into symbol values, and packing bytes into symbols. */

#include "base32.h"

const char cpn_b32_alphabet[33] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Input byte -> symbol value + 1; SKIP for separators; 0 for anything else. */
#define SKIP      0x40
#define SYM(c, v) [c] = (v) + 1
/* clang-format off */
static const uint8_t decode_table[256] = {
    SYM('0', 0),  SYM('1', 1),  SYM('2', 2),  SYM('3', 3),  SYM('4', 4),  SYM('5', 5),
    SYM('6', 6),  SYM('7', 7),  SYM('8', 8),  SYM('9', 9),  SYM('A', 10), SYM('B', 11),
    SYM('C', 12), SYM('D', 13), SYM('E', 14), SYM('F', 15), SYM('G', 16), SYM('H', 17),
    SYM('J', 18), SYM('K', 19), SYM('M', 20), SYM('N', 21), SYM('P', 22), SYM('Q', 23),
    SYM('R', 24), SYM('S', 25), SYM('T', 26), SYM('V', 27), SYM('W', 28), SYM('X', 29),
    SYM('Y', 30), SYM('Z', 31), SYM('a', 10), SYM('b', 11), SYM('c', 12), SYM('d', 13),
    SYM('e', 14), SYM('f', 15), SYM('g', 16), SYM('h', 17), SYM('j', 18), SYM('k', 19),
    SYM('m', 20), SYM('n', 21), SYM('p', 22), SYM('q', 23), SYM('r', 24), SYM('s', 25),
    SYM('t', 26), SYM('v', 27), SYM('w', 28), SYM('x', 29), SYM('y', 30), SYM('z', 31),
    /* Confusables: O reads as zero, I and L as one. */
    SYM('O', 0),  SYM('o', 0),  SYM('I', 1),  SYM('i', 1),  SYM('L', 1),  SYM('l', 1),
    [' '] = SKIP, ['-'] = SKIP,
};
/* clang-format on */

enum cpn_err cpn_b32_normalise(const char *text, size_t len, uint8_t *syms, size_t max, size_t *n)
{
    size_t k = 0;

    *n = 0;
    if (len > CPN_CODE_INPUT_MAX)
        return CPN_ERR_MALFORMED_CODE;
    for (size_t i = 0; i < len; i++) {
        uint8_t v = decode_table[(unsigned char)text[i]];
        if (v == SKIP)
            continue;
        if (v == 0 || k == max)
            return CPN_ERR_MALFORMED_CODE;
        syms[k++] = (uint8_t)(v - 1);
    }
    *n = k;
    return CPN_OK;
}

void cpn_b32_pack(const uint8_t *bytes, size_t nbytes, uint8_t *syms)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t k = 0;

    for (size_t i = 0; i < nbytes; i++) {
        acc = (acc << 8) | bytes[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            syms[k++] = (uint8_t)((acc >> bits) & 31);
        }
    }
    if (bits > 0)
        syms[k] = (uint8_t)((acc << (5 - bits)) & 31);
}

bool cpn_b32_unpack(const uint8_t *syms, size_t nbytes, uint8_t *bytes)
{
    size_t nsyms = cpn_b32_symbols(nbytes);
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t k = 0;

    for (size_t i = 0; i < nsyms; i++) {
        acc = (acc << 5) | (syms[i] & 31u);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (k < nbytes)
                bytes[k++] = (uint8_t)(acc >> bits);
        }
    }
    /* What is left are padding bits; they must be zero. */
    return (acc & ((1u << bits) - 1)) == 0;
}
