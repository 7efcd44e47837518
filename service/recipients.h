/* A mailing's recipient list with a holdout: reading the list (card numbers as JSON strings or
 * as CSV lines) and the deterministic draw of the held-out cards (a keyed hash of campaign and
 * card). The upload itself is recipients_upload.h. */
#ifndef SVC_RECIPIENTS_H
#define SVC_RECIPIENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"

#define RECIPIENTS_MAX       1000000
#define RECIPIENTS_KEY_BYTES 16

/* A list of cards read from a request: their serials, ascending (each card once). */
struct recipients_list {
    uint32_t *cards; /* owned; freed by recipients_list_clear */
    size_t n;
};

/* Frees L's cards and empties it (an empty list stays empty). */
void recipients_list_clear(struct recipients_list *l);

/* Reads the JSON array CARDS (card numbers in either form) into *OUT. Returns CPN_OK, or
 * CPN_ERR_BAD_REQUEST with DETAIL naming the first bad entry (not a string, malformed, a typo,
 * forged, a coupon's code, a card given twice) or an empty or too long list; nothing is kept
 * then. */
enum cpn_err recipients_from_json(const json_t *cards, struct recipients_list *out, char *detail,
                                  size_t dlen) CPN_MUST_CHECK;

/* Reads CSV TEXT (LEN bytes): one card per line, in the first column (',' ';' or tab
 * separated), an optional header line whose first field is "card", blank lines ignored.
 * Returns as recipients_from_json, DETAIL naming the line. */
enum cpn_err recipients_from_csv(const char *text, size_t len, struct recipients_list *out,
                                 char *detail, size_t dlen) CPN_MUST_CHECK;

/* How many of N cards a holdout of PCT_HUNDREDTHS (1000 = 10.00 %) holds out:
 * round(N x pct / 100), halves rounded up. */
size_t recipients_holdout_count(size_t n, int64_t pct_hundredths);

/* The draw: marks in HELD (N flags) the K cards of CARDS (N distinct serials) whose keyed hash
 * (SipHash-2-4 under KEY of the serial) is smallest, ties broken by serial. The same key and
 * the same cards, in any order, mark the same cards. Returns 0, or -1 when out of memory. */
int recipients_draw(const uint8_t key[RECIPIENTS_KEY_BYTES], const uint32_t *cards, size_t n,
                    size_t k, bool *held);

#endif
