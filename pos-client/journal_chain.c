/* The SHA-256 chain of a version 3 till journal: chaining a line (its sequence number and hash
 * appended), splitting a chained line, and checking that its hash holds. The hash of line N is
 * SHA-256(hash of line N-1 in hex, "\n", line N up to and including "n=N"), in lower-case hex,
 * so `printf '%s\n%s' "$PREV" "$RECORD<TAB>n=$N" | sha256sum` reproduces it. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "pos/journal_chain.h"

const char pos_journal_zero_hash[POS_HASH_SIZE] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* Writes into HEX the hash of PREV_HASH, a newline and the N bytes at TEXT. */
static void hash_of(const char *prev_hash, const char *text, size_t n, char hex[POS_HASH_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[SHA256_DIGEST_LENGTH];
    char buf[POS_HASH_HEX + 1 + POS_JOURNAL_LINE_SIZE];
    if (n > POS_JOURNAL_LINE_SIZE)
        n = POS_JOURNAL_LINE_SIZE; /* never: lines are shorter; a longer one cannot verify */
    memcpy(buf, prev_hash, POS_HASH_HEX);
    buf[POS_HASH_HEX] = '\n';
    memcpy(buf + POS_HASH_HEX + 1, text, n);
    SHA256((const unsigned char *)buf, POS_HASH_HEX + 1 + n, md);
    for (size_t i = 0; i < sizeof md; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0xf];
    }
    hex[POS_HASH_HEX] = '\0';
}

bool pos_journal_hash_valid(const char *text)
{
    return strlen(text) == POS_HASH_HEX && strspn(text, "0123456789abcdef") == POS_HASH_HEX;
}

size_t pos_journal_chain(char *line, size_t len, uint64_t seq, const char *prev_hash,
                         char hash_out[POS_HASH_SIZE])
{
    if (len > 0 && line[len - 1] == '\n')
        len--;
    char tail[40], hash[POS_HASH_SIZE];
    int t = snprintf(tail, sizeof tail, "\tn=%" PRIu64, seq);
    if (t < 0 || len + (size_t)t + 4 + POS_HASH_HEX + 2 > POS_JOURNAL_LINE_SIZE)
        return 0;
    memcpy(line + len, tail, (size_t)t);
    len += (size_t)t;
    hash_of(prev_hash, line, len, hash);
    memcpy(line + len, "\th=", 3);
    memcpy(line + len + 3, hash, POS_HASH_HEX);
    len += 3 + POS_HASH_HEX;
    line[len++] = '\n';
    line[len] = '\0';
    if (hash_out != NULL)
        memcpy(hash_out, hash, POS_HASH_SIZE);
    return len;
}

bool pos_journal_unchain(const char *line, size_t n, size_t *record_len, uint64_t *seq,
                         char hash[POS_HASH_SIZE])
{
    if (n < 3 + POS_HASH_HEX + 4)
        return false;
    const char *h = line + n - POS_HASH_HEX;
    if (memcmp(h - 3, "\th=", 3) != 0)
        return false;
    memcpy(hash, h, POS_HASH_HEX);
    hash[POS_HASH_HEX] = '\0';
    if (!pos_journal_hash_valid(hash))
        return false;
    const char *end = h - 3, *p = end;
    while (p > line && p[-1] >= '0' && p[-1] <= '9')
        p--;
    size_t digits = (size_t)(end - p);
    if (digits == 0 || digits > 19 || (p[0] == '0' && digits > 1) || p - line < 3 ||
        memcmp(p - 3, "\tn=", 3) != 0)
        return false;
    uint64_t v = 0;
    for (const char *d = p; d < end; d++)
        v = v * 10 + (uint64_t)(*d - '0');
    *seq = v;
    *record_len = (size_t)(p - 3 - line);
    return true;
}

bool pos_journal_chain_holds(const char *line, size_t n, size_t record_len, const char *prev_hash,
                             const char *hash)
{
    (void)n;
    char want[POS_HASH_SIZE];
    const char *end_of_seq = line + record_len + 3;
    while (*end_of_seq >= '0' && *end_of_seq <= '9')
        end_of_seq++;
    hash_of(prev_hash, line, (size_t)(end_of_seq - line), want);
    return memcmp(want, hash, POS_HASH_HEX) == 0;
}
