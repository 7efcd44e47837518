/* ESC/POS: the printer's commands for a document, and UTF-8 to code page PC858. */
#include <stdlib.h>
#include <string.h>

#include "pos/escpos.h"

#define ESC 0x1b
#define GS  0x1d
#define LF  0x0a

/* ESC t n: the character code table. 19 is PC858 (multilingual Latin-1 with the euro sign). */
#define CODE_PAGE_PC858 19

/* PC858 bytes of U+00A0 to U+00FF. */
static const uint8_t latin1_pc858[96] = {
    0xff, 0xad, 0xbd, 0x9c, 0xcf, 0xbe, 0xdd, 0xf5, 0xf9, 0xb8, 0xa6, 0xae, 0xaa, 0xf0, 0xa9, 0xee,
    0xf8, 0xf1, 0xfd, 0xfc, 0xef, 0xe6, 0xf4, 0xfa, 0xf7, 0xfb, 0xa7, 0xaf, 0xac, 0xab, 0xf3, 0xa8,
    0xb7, 0xb5, 0xb6, 0xc7, 0x8e, 0x8f, 0x92, 0x80, 0xd4, 0x90, 0xd2, 0xd3, 0xde, 0xd6, 0xd7, 0xd8,
    0xd1, 0xa5, 0xe3, 0xe0, 0xe2, 0xe5, 0x99, 0x9e, 0x9d, 0xeb, 0xe9, 0xea, 0x9a, 0xed, 0xe8, 0xe1,
    0x85, 0xa0, 0x83, 0xc6, 0x84, 0x86, 0x91, 0x87, 0x8a, 0x82, 0x88, 0x89, 0x8d, 0xa1, 0x8c, 0x8b,
    0xd0, 0xa4, 0x95, 0xa2, 0x93, 0xe4, 0x94, 0xf6, 0x9b, 0x97, 0xa3, 0x96, 0x81, 0xec, 0xe7, 0x98,
};

/* Appends the N bytes at P to B. Returns false when out of memory. */
static bool put(struct pos_bytes *b, const void *p, size_t n)
{
    if (n > SIZE_MAX / 2 - b->len)
        return false;
    if (b->len + n > b->cap) {
        size_t cap = b->cap == 0 ? 1024 : b->cap;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *data = realloc(b->data, cap);
        if (data == NULL)
            return false;
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return true;
}

/* Appends the three bytes A B C. */
static bool put3(struct pos_bytes *b, uint8_t x, uint8_t y, uint8_t z)
{
    const uint8_t cmd[3] = {x, y, z};
    return put(b, cmd, sizeof cmd);
}

/* Decodes one UTF-8 character at *S (advancing *S past it; an invalid byte is one character).
 * Returns its code point, or 0xfffd for an invalid sequence. */
static unsigned long next_char(const unsigned char **s)
{
    const unsigned char *p = *s;
    unsigned long c = p[0];
    size_t n = c < 0x80             ? 1
               : (c & 0xe0) == 0xc0 ? 2
               : (c & 0xf0) == 0xe0 ? 3
               : (c & 0xf8) == 0xf0 ? 4
                                    : 0;
    if (n == 0) {
        *s = p + 1;
        return 0xfffd;
    }
    if (n == 1) {
        *s = p + 1;
        return c;
    }
    c &= 0x3fUL >> (n - 1);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *s = p + i;
            return 0xfffd;
        }
        c = (c << 6) | (p[i] & 0x3f);
    }
    *s = p + n;
    return c;
}

/* Appends the UTF-8 TEXT in PC858. */
static bool put_text(struct pos_bytes *b, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    bool ok = true;
    while (ok && *s != '\0') {
        unsigned long c = next_char(&s);
        uint8_t byte;
        if (c >= 0x20 && c < 0x7f)
            byte = (uint8_t)c;
        else if (c >= 0xa0 && c <= 0xff)
            byte = latin1_pc858[c - 0xa0];
        else if (c == 0x20ac)
            byte = 0xd5; /* € */
        else if (c == 0x2010 || c == 0x2011 || c == 0x2012 || c == 0x2013 || c == 0x2014)
            byte = '-';
        else if (c == 0x2018 || c == 0x2019 || c == 0x201a)
            byte = '\'';
        else if (c == 0x201c || c == 0x201d || c == 0x201e)
            byte = '"';
        else
            byte = c < 0x20 ? ' ' : '?';
        ok = put(b, &byte, 1);
    }
    return ok;
}

/* The printer's state, so that a command is only sent when it changes something. */
struct state {
    int align, bold, size;
};

/* Sets alignment ALIGN (0 left, 1 centre), emphasis BOLD and character size SIZE (GS ! n). */
static bool set_state(struct pos_bytes *b, struct state *st, int align, int bold, int size)
{
    bool ok = true;
    if (st->align != align)
        ok = ok && put3(b, ESC, 'a', (uint8_t)align);
    if (st->bold != bold)
        ok = ok && put3(b, ESC, 'E', (uint8_t)bold);
    if (st->size != size)
        ok = ok && put3(b, GS, '!', (uint8_t)size);
    st->align = align;
    st->bold = bold;
    st->size = size;
    return ok;
}

/* Appends a QR code of PAYLOAD (its length N, 1..POS_ESCPOS_QR_MAX) in GS ( k commands. */
static bool put_qr(struct pos_bytes *b, const char *payload, size_t n)
{
    static const uint8_t model2[] = {GS, '(', 'k', 4, 0, 49, 65, 50, 0};
    static const uint8_t size[] = {GS, '(', 'k', 3, 0, 49, 67, POS_ESCPOS_QR_MODULE};
    static const uint8_t level_m[] = {GS, '(', 'k', 3, 0, 49, 69, 49};
    static const uint8_t print[] = {GS, '(', 'k', 3, 0, 49, 81, 48};
    size_t k = n + 3;
    const uint8_t store[] = {GS, '(', 'k', (uint8_t)(k & 0xff), (uint8_t)(k >> 8), 49, 80, 48};
    return put(b, model2, sizeof model2) && put(b, size, sizeof size) &&
           put(b, level_m, sizeof level_m) && put(b, store, sizeof store) && put(b, payload, n) &&
           put(b, print, sizeof print);
}

enum cpn_err pos_escpos_render(const struct pos_doc *doc, struct pos_bytes *out)
{
    if (doc->failed)
        return CPN_ERR_BAD_REQUEST;
    for (size_t i = 0; i < doc->n; i++) {
        const struct pos_doc_item *it = &doc->items[i];
        size_t n = it->text != NULL ? strlen(it->text) : 0;
        if (it->kind == POS_DOC_QR && (n == 0 || n > POS_ESCPOS_QR_MAX))
            return CPN_ERR_BAD_REQUEST;
    }
    static const uint8_t init[] = {ESC, '@', ESC, 't', CODE_PAGE_PC858};
    struct state st = {0, 0, 0}; /* as ESC @ leaves it */
    bool ok = put(out, init, sizeof init);
    for (size_t i = 0; ok && i < doc->n; i++) {
        const struct pos_doc_item *it = &doc->items[i];
        switch (it->kind) {
        case POS_DOC_TEXT:
            ok = set_state(out, &st, (it->style & POS_DOC_CENTER) ? 1 : 0,
                           (it->style & POS_DOC_BOLD) ? 1 : 0,
                           (it->style & POS_DOC_LARGE) ? 0x01 : 0x00) &&
                 put_text(out, it->text) && put(out, "\n", 1);
            break;
        case POS_DOC_RULE: {
            char rule[POS_DOC_WIDTH + 1];
            memset(rule, '-', POS_DOC_WIDTH);
            rule[POS_DOC_WIDTH] = '\n';
            ok = set_state(out, &st, 0, 0, 0) && put(out, rule, sizeof rule);
            break;
        }
        case POS_DOC_QR:
            ok = set_state(out, &st, 1, 0, 0) && put_qr(out, it->text, strlen(it->text)) &&
                 put(out, "\n", 1);
            break;
        }
    }
    /* Back to the defaults, feed past the cutter and cut (GS V 66 0: feed, partial cut). */
    static const uint8_t end[] = {ESC, 'd', 3, GS, 'V', 66, 0};
    ok = ok && set_state(out, &st, 0, 0, 0) && put(out, end, sizeof end);
    return ok ? CPN_OK : CPN_ERR_NO_MEMORY;
}

bool pos_escpos_first_qr(const uint8_t *data, size_t len, char *buf, size_t size)
{
    for (size_t i = 0; i + 8 <= len; i++) {
        if (data[i] != GS || data[i + 1] != '(' || data[i + 2] != 'k' || data[i + 5] != 49 ||
            data[i + 6] != 80 || data[i + 7] != 48)
            continue;
        size_t k = (size_t)data[i + 3] | (size_t)data[i + 4] << 8;
        if (k < 3 || i + 5 + k > len || k - 3 >= size)
            return false;
        memcpy(buf, data + i + 8, k - 3);
        buf[k - 3] = '\0';
        return true;
    }
    return false;
}
