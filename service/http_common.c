/* Helpers every handler uses: ids in paths, the till's txn_id and idempotency scope, void
 * requests, database failures and QR answers. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coupon/qr.h"
#include "db.h"
#include "http_common.h"
#include "http_reply.h"
#include "json_in.h"

int http_terminal_key(const struct principal *p, char *out, size_t len)
{
    return snprintf(out, len, "%" PRId32 "/%s", p->store, p->name) < (int)len ? 0 : -1;
}

int http_read_txn(const json_t *in, const char **txn, char *detail, size_t dlen)
{
    if (jin_str_field(in, "txn_id", true, 64, txn, detail, dlen) < 0)
        return -1;
    for (const char *c = *txn; *c != '\0'; c++) {
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.' || *c == ':')) {
            snprintf(detail, dlen,
                     "The field 'txn_id' may hold only letters, digits and - _ . : characters.");
            return -1;
        }
    }
    return 0;
}

json_t *http_read_void(struct http_req *r, const char *not_found, int64_t *id, const char **txn,
                       char terminal[128], enum MHD_Result *replied)
{
    static const char *const allowed[] = {"txn_id", NULL};
    if (http_parse_id(r->params[0], id) != 0) {
        *replied = http_reply_error(r, CPN_ERR_NOT_FOUND, not_found);
        return NULL;
    }
    json_t *in = http_body_object(r, replied);
    if (in == NULL)
        return NULL;
    char detail[256];
    const char *unknown = jin_unknown_key(in, allowed);
    if (unknown != NULL)
        snprintf(detail, sizeof detail, "The field '%.60s' is not known.", unknown);
    if (unknown != NULL || http_read_txn(in, txn, detail, sizeof detail) != 0 ||
        http_terminal_key(r->principal, terminal, 128) != 0) {
        json_decref(in);
        *replied = http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
        return NULL;
    }
    return in;
}

int http_parse_id(const char *text, int64_t *id)
{
    if (text == NULL || *text < '1' || *text > '9' || strlen(text) > 18)
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || v <= 0)
        return -1;
    *id = v;
    return 0;
}

enum MHD_Result http_reply_db_failure(struct http_req *r, int db_status)
{
    return http_reply_error(r, db_status == DB_SOFT_ERROR ? CPN_ERR_UNAVAILABLE : CPN_ERR_INTERNAL,
                            NULL);
}

enum MHD_Result http_reply_qr(struct http_req *r, const char *text, bool png)
{
    struct cpn_qr_options opts = {.module_px = png ? 6 : 4, .quiet_zone = 4};
    enum MHD_Result result;
    enum cpn_err err;
    if (png) {
        uint8_t *img = NULL;
        size_t len = 0;
        err = cpn_qr_png(text, &opts, &img, &len, NULL);
        result = err == CPN_OK ? http_reply_bytes(r, 200, "image/png", img, len)
                               : http_reply_error(r, err, NULL);
        free(img);
    } else {
        char *svg = NULL;
        size_t len = 0;
        err = cpn_qr_svg(text, &opts, &svg, &len, NULL);
        result = err == CPN_OK ? http_reply_bytes(r, 200, "image/svg+xml", svg, len)
                               : http_reply_error(r, err, NULL);
        free(svg);
    }
    return result;
}
