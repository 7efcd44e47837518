/* CSV rows in the international or the German spreadsheet style. */
#include <stdlib.h>
#include <string.h>

#include "csv.h"

int csv_style_from(const char *sep, struct csv_style *style)
{
    if (sep == NULL || strcmp(sep, ",") == 0) {
        *style = (struct csv_style){',', false, false};
    } else if (strcmp(sep, ";") == 0) {
        *style = (struct csv_style){';', true, true};
    } else if (strcmp(sep, "tab") == 0 || strcmp(sep, "\t") == 0) {
        *style = (struct csv_style){'\t', false, false};
    } else {
        return -1;
    }
    return 0;
}

static void put(struct csv_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL) {
            b->failed = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void csv_buf_init(struct csv_buf *b, const struct csv_style *style)
{
    memset(b, 0, sizeof *b);
    b->style = *style;
    if (style->bom)
        put(b, "\xEF\xBB\xBF", 3);
}

void csv_buf_clear(struct csv_buf *b)
{
    free(b->data);
    struct csv_style st = b->style;
    memset(b, 0, sizeof *b);
    b->style = st;
}

void csv_field(struct csv_buf *b, const char *text, bool numeric)
{
    if (b->row_open)
        put(b, &b->style.sep, 1);
    b->row_open = true;
    if (text == NULL || *text == '\0')
        return;
    size_t n = strlen(text);
    if (numeric) {
        for (size_t i = 0; i < n; i++) {
            char c = text[i] == '.' && b->style.decimal_comma ? ',' : text[i];
            put(b, &c, 1);
        }
        return;
    }
    bool formula = strchr("=+-@", text[0]) != NULL;
    bool quote = formula || strchr(text, b->style.sep) != NULL || strpbrk(text, "\"\r\n") != NULL ||
                 text[0] == ' ' || text[n - 1] == ' ';
    if (quote)
        put(b, "\"", 1);
    if (formula)
        put(b, "'", 1);
    for (size_t i = 0; i < n; i++) {
        put(b, &text[i], 1);
        if (text[i] == '"')
            put(b, "\"", 1);
    }
    if (quote)
        put(b, "\"", 1);
}

void csv_end_row(struct csv_buf *b)
{
    put(b, "\r\n", 2);
    b->row_open = false;
}

void csv_header(struct csv_buf *b, const char *const *names)
{
    for (; *names != NULL; names++)
        csv_field(b, *names, false);
    csv_end_row(b);
}
