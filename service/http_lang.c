/* Accept-Language, read as far as coupond needs it: which of English and German a client
 * prefers. Tolerant: anything it cannot read counts as no preference (English). */
#include <stdbool.h>
#include <strings.h>

#include "http_lang.h"

/* Reads the q value at P ("q=0.8" after a ';'), up to END. Returns it in thousandths, or -1
 * when it is not one. */
static int read_q(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (end - p < 3 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
        return -1;
    p += 2;
    if (*p != '0' && *p != '1')
        return -1;
    int q = (*p++ - '0') * 1000, scale = 100;
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
            q += (*p - '0') * scale;
    }
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p == end && q <= 1000 ? q : -1;
}

enum cpn_lang http_lang_parse(const char *accept_language)
{
    enum cpn_lang best = CPN_LANG_EN;
    int best_q = 0;
    const char *p = accept_language;
    for (int items = 0; p != NULL && *p != '\0' && items < 32; items++) {
        const char *end = p;
        while (*end != '\0' && *end != ',')
            end++;
        const char *tag = p;
        while (tag < end && (*tag == ' ' || *tag == '\t'))
            tag++;
        const char *semi = tag;
        while (semi < end && *semi != ';')
            semi++;
        int q = semi < end ? read_q(semi + 1, end) : 1000;
        size_t len = 0;
        while (tag + len < semi && tag[len] != '-' && tag[len] != ' ' && tag[len] != '\t')
            len++;
        bool de = len == 2 && strncasecmp(tag, "de", 2) == 0;
        bool en = (len == 2 && strncasecmp(tag, "en", 2) == 0) || (len == 1 && tag[0] == '*');
        if ((de || en) && q > best_q) {
            best_q = q;
            best = de ? CPN_LANG_DE : CPN_LANG_EN;
        }
        p = *end == ',' ? end + 1 : end;
    }
    return best;
}

enum cpn_lang http_req_lang(const struct http_req *r)
{
    if (r == NULL || r->conn == NULL)
        return CPN_LANG_EN;
    return http_lang_parse(
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
}

const char *http_say(const struct http_req *r, const char *en, const char *de)
{
    return http_req_lang(r) == CPN_LANG_DE ? de : en;
}
