/* Coupon handlers (marketer): issue (POST /v1/campaigns/{id}/coupons), streamed CSV
 * export (GET /v1/campaigns/{id}/coupons.csv), one coupon (GET /v1/coupons/{code}) and
 * its QR code (GET /v1/coupons/{code}/qr.svg and qr.png). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_campaigns.h"
#include "db_coupons.h"
#include "handlers.h"
#include "issue.h"
#include "json_in.h"

#define LIST_LIMIT 1000

enum MHD_Result http_coupons_issue(struct http_req *r)
{
    static const char *const allowed[] = {"count", "card", "uses", NULL};
    int64_t campaign;
    if (http_parse_id(r->params[0], &campaign) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no campaign with that id.");
    enum MHD_Result replied;
    json_t *in = http_body_object(r, &replied);
    if (in == NULL)
        return replied;
    char detail[256];
    int64_t count = 0, uses = 1;
    const char *card_text = NULL;
    const char *unknown = json_unknown_key(in, allowed);
    struct issue_request req = {.campaign = campaign, .created_by = r->principal->name};
    if (unknown != NULL) {
        snprintf(detail, sizeof detail, "The field '%.60s' is not known.", unknown);
        goto bad;
    }
    if (json_int_field(in, "count", true, 1, ISSUE_MAX_COUNT, &count, detail, sizeof detail) < 0 ||
        json_int_field(in, "uses", false, 1, 1000000000, &uses, detail, sizeof detail) < 0 ||
        json_str_field(in, "card", false, CPN_CODE_INPUT_MAX, &card_text, detail, sizeof detail) <
            0)
        goto bad;
    if (uses > 1 && count != 1) {
        snprintf(detail, sizeof detail,
                 "A generic code ('uses' > 1) is issued one at a time: set 'count' to 1.");
        goto bad;
    }
    if (card_text != NULL) {
        struct cpn_code card;
        enum cpn_err err = codes_read(card_text, CPN_KIND_CARD, &card);
        if (err != CPN_OK) {
            json_decref(in);
            return http_reply_error(r, err, "The field 'card' is not a bonus card we issued.");
        }
        req.card_serial = card.serial;
    }
    req.count = (int)count;
    req.max_uses = (int)uses;
    const char *key = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
    bool key_ok = key == NULL || (strlen(key) >= 1 && strlen(key) <= 128);
    for (const char *k = key; key_ok && k != NULL && *k != '\0'; k++)
        key_ok = *k >= 0x21 && *k <= 0x7e;
    if (!key_ok) {
        snprintf(detail, sizeof detail,
                 "The Idempotency-Key header must be 1 to 128 printable ASCII characters.");
        goto bad;
    }
    req.request_key = key;
    struct issue_result res;
    enum cpn_err err = issue_coupons(&req, &res);
    json_decref(in);
    if (err == CPN_ERR_NOT_FOUND)
        return http_reply_error(r, err, "There is no campaign with that id.");
    if (err == CPN_ERR_CONFLICT)
        return http_reply_error(r, err,
                                "This Idempotency-Key was already used for another issue request.");
    if (err != CPN_OK)
        return http_reply_error(r, err, NULL);
    json_t *out = json_pack("{s:I, s:I, s:I}", "campaign_id", (json_int_t)campaign, "issued",
                            (json_int_t)res.count, "batch_id", (json_int_t)res.batch_id);
    if (out != NULL && res.count <= LIST_LIMIT) {
        json_t *list = json_array();
        char short_form[CPN_SHORT_LEN + 1], signed_form[CPN_SIGNED_MAX_LEN + 1];
        for (size_t i = 0; list != NULL && i < res.count; i++) {
            if (codes_coupon_forms(res.serials[i], &res.terms, req.card_serial, short_form,
                                   signed_form, sizeof signed_form) != CPN_OK) {
                json_decref(list);
                list = NULL;
                break;
            }
            json_array_append_new(
                list, json_pack("{s:s, s:s}", "code", short_form, "signed", signed_form));
        }
        if (list == NULL) {
            issue_result_clear(&res);
            json_decref(out);
            return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
        }
        json_object_set_new(out, "coupons", list);
    }
    unsigned status = res.replay ? 200 : 201;
    issue_result_clear(&res);
    return http_reply_json(r, status, out);
bad:
    json_decref(in);
    return http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
}

/* Reads the {code} path parameter as a coupon; answers the refusal itself. */
static int path_coupon(struct http_req *r, struct cpn_code *code, enum MHD_Result *replied)
{
    enum cpn_err err = codes_read(r->params[0], CPN_KIND_COUPON, code);
    if (err != CPN_OK) {
        *replied = http_reply_error(r, err, NULL);
        return -1;
    }
    return 0;
}

enum MHD_Result http_coupons_get(struct http_req *r)
{
    struct cpn_code code;
    enum MHD_Result replied;
    if (path_coupon(r, &code, &replied) != 0)
        return replied;
    char *text = NULL;
    int rc = db_coupon_get(code.serial, &text);
    if (rc == DB_NO_RESULTS)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no coupon with that code.");
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    json_t *out = json_loads(text, 0, NULL);
    free(text);
    if (out == NULL)
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    char short_form[CPN_SHORT_LEN + 1];
    if (cpn_code_format_short(&code, short_form) == CPN_OK)
        json_object_set_new(out, "code", json_string(short_form));
    return http_reply_json(r, 200, out);
}

/* Looks the coupon up and renders its signed form as a QR code (SVG or PNG). */
static enum MHD_Result reply_qr(struct http_req *r, bool png)
{
    struct cpn_code code;
    enum MHD_Result replied;
    if (path_coupon(r, &code, &replied) != 0)
        return replied;
    struct coupon_terms terms;
    uint32_t card = 0;
    int rc = db_terms(0, code.serial, &terms, &card);
    if (rc == DB_NO_RESULTS)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no coupon with that code.");
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    char short_form[CPN_SHORT_LEN + 1], signed_form[CPN_SIGNED_MAX_LEN + 1];
    if (codes_coupon_forms(code.serial, &terms, card, short_form, signed_form,
                           sizeof signed_form) != CPN_OK)
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    return http_reply_qr(r, signed_form, png);
}

enum MHD_Result http_coupons_qr_svg(struct http_req *r)
{
    return reply_qr(r, false);
}

enum MHD_Result http_coupons_qr_png(struct http_req *r)
{
    return reply_qr(r, true);
}
