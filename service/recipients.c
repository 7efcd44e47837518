/* Recipient lists: reading them, drawing the holdout, and the upload's steps around the coupon
 * issue (prepare, begin, issue, finish; see sql/functions/0600_recipients.sql). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codes.h"
#include "recipients.h"

void recipients_list_clear(struct recipients_list *l)
{
    free(l->cards);
    l->cards = NULL;
    l->n = 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Reads TEXT as card number WHERE ("entry 3", "line 7") into *SERIAL. Returns 0, or -1 with
 * DETAIL saying what is wrong with it. */
static int read_card(const char *text, const char *where, uint32_t *serial, char *detail,
                     size_t dlen)
{
    struct cpn_code code;
    enum cpn_err err = codes_read(text, CPN_KIND_CARD, &code);
    if (err == CPN_OK) {
        *serial = code.serial;
        return 0;
    }
    snprintf(detail, dlen, "The recipient list's %s ('%.40s') %s.", where, text,
             err == CPN_ERR_FORGED_CODE ? "is not a bonus card we issued"
             : err == CPN_ERR_TYPO      ? "has a typo (its check character does not match)"
                                        : "is not a bonus card number");
    return -1;
}

/* Sorts OUT's cards and checks it holds no card twice. Returns 0, or -1 with DETAIL naming
 * one. */
static int sort_distinct(struct recipients_list *out, char *detail, size_t dlen)
{
    uint32_t *sorted = out->cards;
    qsort(sorted, out->n, sizeof *sorted, cmp_u32);
    int rc = 0;
    for (size_t i = 1; i < out->n && rc == 0; i++) {
        if (sorted[i] == sorted[i - 1]) {
            char text[CPN_SHORT_LEN + 1];
            bool clean;
            if (codes_short(CPN_KIND_CARD, sorted[i], text, &clean) != CPN_OK)
                snprintf(text, sizeof text, "?");
            snprintf(detail, dlen, "The card %s is in the recipient list twice.", text);
            rc = -1;
        }
    }
    return rc;
}

enum cpn_err recipients_from_json(const json_t *cards, struct recipients_list *out, char *detail,
                                  size_t dlen)
{
    memset(out, 0, sizeof *out);
    size_t n = json_array_size(cards);
    if (!json_is_array(cards) || n == 0 || n > RECIPIENTS_MAX) {
        snprintf(detail, dlen, "The field 'cards' must be a list of 1 to %d card numbers.",
                 RECIPIENTS_MAX);
        return CPN_ERR_BAD_REQUEST;
    }
    out->cards = malloc(n * sizeof *out->cards);
    if (out->cards == NULL)
        return CPN_ERR_NO_MEMORY;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(cards, i);
        char where[32];
        snprintf(where, sizeof where, "entry %zu", i + 1);
        if (!json_is_string(v)) {
            snprintf(detail, dlen, "The recipient list's %s is not a card number (a string).",
                     where);
            recipients_list_clear(out);
            return CPN_ERR_BAD_REQUEST;
        }
        if (read_card(json_string_value(v), where, &out->cards[i], detail, dlen) != 0) {
            recipients_list_clear(out);
            return CPN_ERR_BAD_REQUEST;
        }
        out->n = i + 1;
    }
    if (sort_distinct(out, detail, dlen) != 0) {
        recipients_list_clear(out);
        return CPN_ERR_BAD_REQUEST;
    }
    return CPN_OK;
}

/* The first field of LINE (LEN bytes) trimmed of blanks and quotes into FIELD (CAP bytes).
 * Returns its length, or -1 when it does not fit. */
static int first_field(const char *line, size_t len, char *field, size_t cap)
{
    size_t end = 0;
    while (end < len && line[end] != ',' && line[end] != ';' && line[end] != '\t')
        end++;
    size_t start = 0;
    while (start < end && (line[start] == ' ' || line[start] == '"'))
        start++;
    while (end > start && (line[end - 1] == ' ' || line[end - 1] == '"' || line[end - 1] == '\r'))
        end--;
    if (end - start >= cap)
        return -1;
    memcpy(field, line + start, end - start);
    field[end - start] = '\0';
    return (int)(end - start);
}

enum cpn_err recipients_from_csv(const char *text, size_t len, struct recipients_list *out,
                                 char *detail, size_t dlen)
{
    memset(out, 0, sizeof *out);
    size_t cap = 1024;
    out->cards = malloc(cap * sizeof *out->cards);
    if (out->cards == NULL)
        return CPN_ERR_NO_MEMORY;
    size_t line_no = 0;
    /* A UTF-8 byte order mark (spreadsheet programs write one) is not part of the first line. */
    size_t pos = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t llen = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
        char field[CPN_CODE_INPUT_MAX + 1], where[32];
        line_no++;
        int flen = first_field(text + pos, llen, field, sizeof field);
        pos += llen + (nl != NULL);
        snprintf(where, sizeof where, "line %zu", line_no);
        if (flen == 0)
            continue;
        if (line_no == 1 && flen > 0 && strcasecmp(field, "card") == 0)
            continue; /* the header */
        if (out->n == RECIPIENTS_MAX) {
            snprintf(detail, dlen, "The recipient list holds more than %d cards.", RECIPIENTS_MAX);
            recipients_list_clear(out);
            return CPN_ERR_BAD_REQUEST;
        }
        if (flen < 0) {
            snprintf(detail, dlen, "The recipient list's %s is not a bonus card number.", where);
            recipients_list_clear(out);
            return CPN_ERR_BAD_REQUEST;
        }
        if (out->n == cap) {
            cap *= 2;
            uint32_t *more = realloc(out->cards, cap * sizeof *more);
            if (more == NULL) {
                recipients_list_clear(out);
                return CPN_ERR_NO_MEMORY;
            }
            out->cards = more;
        }
        if (read_card(field, where, &out->cards[out->n], detail, dlen) != 0) {
            recipients_list_clear(out);
            return CPN_ERR_BAD_REQUEST;
        }
        out->n++;
    }
    if (out->n == 0) {
        snprintf(detail, dlen, "The recipient list holds no card numbers.");
        recipients_list_clear(out);
        return CPN_ERR_BAD_REQUEST;
    }
    if (sort_distinct(out, detail, dlen) != 0) {
        recipients_list_clear(out);
        return CPN_ERR_BAD_REQUEST;
    }
    return CPN_OK;
}

size_t recipients_holdout_count(size_t n, int64_t pct_hundredths)
{
    /* n x pct / 100 with pct in hundredths: n x pct_hundredths / 10000, halves up. */
    return (size_t)(((uint64_t)n * (uint64_t)pct_hundredths + 5000) / 10000);
}

/* A card's place in the draw. */
struct ranked {
    uint64_t hash;
    uint32_t serial;
    uint32_t index;
};

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->serial < y->serial ? -1 : x->serial > y->serial;
}

int recipients_draw(const uint8_t key[RECIPIENTS_KEY_BYTES], const uint32_t *cards, size_t n,
                    size_t k, bool *held)
{
    struct ranked *r = malloc((n > 0 ? n : 1) * sizeof *r);
    if (r == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        uint8_t msg[4] = {(uint8_t)(cards[i] >> 24), (uint8_t)(cards[i] >> 16),
                          (uint8_t)(cards[i] >> 8), (uint8_t)cards[i]};
        uint8_t h[crypto_shorthash_siphash24_BYTES];
        crypto_shorthash_siphash24(h, msg, sizeof msg, key);
        uint64_t v = 0;
        for (size_t b = 0; b < sizeof h; b++)
            v = v << 8 | h[b];
        r[i] = (struct ranked){v, cards[i], (uint32_t)i};
        held[i] = false;
    }
    qsort(r, n, sizeof *r, cmp_ranked);
    for (size_t i = 0; i < k && i < n; i++)
        held[r[i].index] = true;
    free(r);
    return 0;
}
