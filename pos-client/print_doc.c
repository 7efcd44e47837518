/* The printed document: lines (wrapped to the paper's width, counted in characters, not bytes),
 * rules and QR codes, and its plain-text form. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pos/print_doc.h"

size_t pos_utf8_width(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

/* Returns the byte length of the first WIDTH characters of the N bytes at S (all N when fewer). */
static size_t bytes_of(const char *s, size_t n, size_t width)
{
    size_t chars = 0, i = 0;
    for (; i < n; i++) {
        if (((unsigned char)s[i] & 0xc0) != 0x80) {
            if (chars == width)
                return i;
            chars++;
        }
    }
    return n;
}

/* Appends an item of KIND and STYLE holding a copy of the N bytes at TEXT (NULL: none). */
static void add(struct pos_doc *doc, enum pos_doc_kind kind, unsigned style, const char *text,
                size_t n)
{
    if (doc->failed)
        return;
    if (doc->n == doc->cap) {
        size_t cap = doc->cap == 0 ? 32 : doc->cap * 2;
        struct pos_doc_item *items = realloc(doc->items, cap * sizeof *items);
        if (items == NULL) {
            doc->failed = true;
            return;
        }
        doc->items = items;
        doc->cap = cap;
    }
    char *copy = NULL;
    if (text != NULL) {
        copy = malloc(n + 1);
        if (copy == NULL) {
            doc->failed = true;
            return;
        }
        memcpy(copy, text, n);
        copy[n] = '\0';
        for (char *p = copy; *p != '\0'; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = ' ';
    }
    doc->items[doc->n++] = (struct pos_doc_item){.kind = kind, .style = style, .text = copy};
}

void pos_doc_line(struct pos_doc *doc, unsigned style, const char *text)
{
    size_t n = strlen(text);
    do {
        size_t cut = bytes_of(text, n, POS_DOC_WIDTH);
        size_t next = cut;
        if (cut < n) {
            /* Wrap at the last space within the width, when there is one. */
            size_t space = cut;
            while (space > 0 && text[space] != ' ')
                space--;
            if (space > 0) {
                cut = space;
                next = space + 1;
            }
        }
        add(doc, POS_DOC_TEXT, style, text, cut);
        text += next;
        n -= next;
    } while (n > 0);
}

void pos_doc_linef(struct pos_doc *doc, unsigned style, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pos_doc_line(doc, style, line);
}

void pos_doc_columns(struct pos_doc *doc, unsigned style, const char *left, const char *right)
{
    size_t rw = pos_utf8_width(right);
    size_t room = rw + 1 < POS_DOC_WIDTH ? POS_DOC_WIDTH - rw - 1 : 0;
    size_t lbytes = bytes_of(left, strlen(left), room);
    size_t lw = pos_utf8_width(left) < room ? pos_utf8_width(left) : room;
    char line[4 * POS_DOC_WIDTH + 1];
    size_t pad = POS_DOC_WIDTH > lw + rw ? POS_DOC_WIDTH - lw - rw : 1;
    size_t rbytes = strlen(right);
    if (lbytes + pad + rbytes >= sizeof line) {
        pos_doc_line(doc, style, right); /* cannot happen for amounts; keep what matters */
        return;
    }
    memcpy(line, left, lbytes);
    memset(line + lbytes, ' ', pad);
    memcpy(line + lbytes + pad, right, rbytes + 1);
    pos_doc_line(doc, style, line);
}

void pos_doc_rule(struct pos_doc *doc)
{
    add(doc, POS_DOC_RULE, POS_DOC_PLAIN, NULL, 0);
}

void pos_doc_qr(struct pos_doc *doc, const char *payload)
{
    add(doc, POS_DOC_QR, POS_DOC_PLAIN, payload, strlen(payload));
}

void pos_doc_free(struct pos_doc *doc)
{
    if (doc == NULL)
        return;
    for (size_t i = 0; i < doc->n; i++)
        free(doc->items[i].text);
    free(doc->items);
    memset(doc, 0, sizeof *doc);
}

enum cpn_err pos_doc_text(const struct pos_doc *doc, FILE *out)
{
    for (size_t i = 0; i < doc->n; i++) {
        const struct pos_doc_item *it = &doc->items[i];
        int rc = 0;
        if (it->kind == POS_DOC_RULE) {
            char rule[POS_DOC_WIDTH + 1];
            memset(rule, '-', POS_DOC_WIDTH);
            rule[POS_DOC_WIDTH] = '\0';
            rc = fprintf(out, "%s\n", rule);
        } else if (it->kind == POS_DOC_QR) {
            rc = fprintf(out, "QR: %s\n", it->text);
        } else {
            size_t w = pos_utf8_width(it->text);
            int pad = (it->style & POS_DOC_CENTER) && w < POS_DOC_WIDTH
                          ? (int)((POS_DOC_WIDTH - w) / 2)
                          : 0;
            rc = fprintf(out, "%*s%s\n", pad, "", it->text);
        }
        if (rc < 0)
            return CPN_ERR_IO;
    }
    if (fflush(out) != 0)
        return CPN_ERR_IO;
    return CPN_OK;
}
