/* The receipt block: reading a new coupon from the service's answer, and laying the block out
 * as a printed document in the till's language. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pos/i18n.h"
#include "pos/money.h"
#include "pos/receipt.h"
#include "pos/till.h"

/* Copies the string KEY of object O into BUF (SIZE bytes) when it fits. Returns false when it is
 * missing, not a string, empty or too long. */
static bool copy_string(const json_t *o, const char *key, char *buf, size_t size)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (s == NULL || s[0] == '\0' || strlen(s) >= size)
        return false;
    memcpy(buf, s, strlen(s) + 1);
    return true;
}

/* Returns true when S holds only characters of QR's alphanumeric mode. */
static bool qr_alphanumeric(const char *s)
{
    return strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:") == strlen(s);
}

bool pos_next_coupon_read(const json_t *answer, struct pos_next_coupon *next)
{
    memset(next, 0, sizeof *next);
    const json_t *o = json_object_get(answer, "next_coupon");
    if (!json_is_object(o) || !copy_string(o, "code", next->code, sizeof next->code) ||
        !copy_string(o, "signed", next->signed_form, sizeof next->signed_form) ||
        !qr_alphanumeric(next->signed_form) || !qr_alphanumeric(next->code)) {
        memset(next, 0, sizeof *next);
        return false;
    }
    struct pos_scan scan;
    const char *why;
    if (pos_scan_parse(next->signed_form, CPN_KIND_COUPON, &scan, &why) == CPN_OK)
        pos_scan_describe(&scan.code, next->offer, sizeof next->offer);
    const char *from = json_string_value(json_object_get(o, "valid_from"));
    const char *until = json_string_value(json_object_get(o, "valid_until"));
    if (from != NULL && strlen(from) < sizeof next->valid_from)
        memcpy(next->valid_from, from, strlen(from) + 1);
    if (until != NULL && strlen(until) < sizeof next->valid_until)
        memcpy(next->valid_until, until, strlen(until) + 1);
    return true;
}

void pos_receipt_add_next(struct pos_receipt *r, const struct pos_next_coupon *next)
{
    if (r->n_next == POS_RECEIPT_MAX_NEXT || next->code[0] == '\0')
        return;
    for (size_t i = 0; i < r->n_next; i++)
        if (strcmp(r->next[i].code, next->code) == 0)
            return;
    r->next[r->n_next++] = *next;
}

bool pos_receipt_has_content(const struct pos_receipt *r)
{
    return r->n_coupons > 0 || r->burned_points > 0 || r->earned_points > 0 || r->earn_offline ||
           r->n_next > 0 || r->receipt_code[0] != '\0' || r->card[0] != '\0';
}

/* Appends "LEFT ... -AMOUNT" (a discount) to DOC. */
static void discount_line(struct pos_doc *doc, const char *left, int64_t cents)
{
    char money[POS_MONEY_SIZE];
    pos_doc_columns(doc, POS_DOC_PLAIN, left, pos_money_format(-cents, money));
}

/* The money part: the total, each coupon and the points burned, and what is left to pay. */
static void money_part(const struct pos_receipt *r, struct pos_doc *doc)
{
    char money[POS_MONEY_SIZE], left[96];
    int64_t off = 0;
    if (r->has_total)
        pos_doc_columns(doc, POS_DOC_PLAIN, _("Total"), pos_money_format(r->total_cents, money));
    for (size_t i = 0; i < r->n_coupons; i++) {
        const struct pos_receipt_coupon *c = &r->coupons[i];
        snprintf(left, sizeof left, c->offline ? _("Coupon %s (offline)") : _("Coupon %s"),
                 c->code);
        discount_line(doc, left, c->discount_cents);
        if (__builtin_add_overflow(off, c->discount_cents, &off))
            off = INT64_MAX;
    }
    if (r->burned_points > 0) {
        snprintf(left, sizeof left, _("%" PRId64 " bonus points"), r->burned_points);
        discount_line(doc, left, r->burned_points);
        if (__builtin_add_overflow(off, r->burned_points, &off))
            off = INT64_MAX;
    }
    if (r->has_total && (r->n_coupons > 0 || r->burned_points > 0)) {
        int64_t due = r->total_cents > off ? r->total_cents - off : 0;
        pos_doc_columns(doc, POS_DOC_PLAIN, _("Discounts"), pos_money_format(-off, money));
        pos_doc_columns(doc, POS_DOC_BOLD, _("To pay"), pos_money_format(due, money));
    }
}

/* The bonus card part: the card, the points earned and its balance. */
static void card_part(const struct pos_receipt *r, struct pos_doc *doc)
{
    char n[32], money[POS_MONEY_SIZE];
    pos_doc_linef(doc, POS_DOC_PLAIN, _("Bonus card %s"), r->card);
    if (r->earned_points > 0) {
        snprintf(n, sizeof n, "%" PRId64, r->earned_points);
        pos_doc_columns(doc, POS_DOC_PLAIN, _("Points earned"), n);
    }
    if (r->earn_offline)
        pos_doc_linef(doc, POS_DOC_PLAIN, _("The points for %s are booked later."),
                      pos_money_format(r->earn_basket_cents, money));
    if (r->balance >= 0) {
        snprintf(n, sizeof n, "%" PRId64, r->balance);
        pos_doc_columns(doc, POS_DOC_BOLD, _("New balance (points)"), n);
    }
}

/* A new coupon for the next purchase: what it offers, how long, its QR code and short code. */
static void next_part(const struct pos_next_coupon *next, struct pos_doc *doc)
{
    char when[64];
    pos_doc_rule(doc);
    pos_doc_line(doc, POS_DOC_BOLD | POS_DOC_CENTER | POS_DOC_LARGE,
                 _("Your coupon for your next purchase"));
    if (next->valid_from[0] != '\0') {
        (void)pos_till_local_time(next->valid_from, when, sizeof when);
        pos_doc_linef(doc, POS_DOC_CENTER, _("valid from %s"), when);
    }
    if (next->offer[0] != '\0') {
        pos_doc_line(doc, POS_DOC_CENTER, next->offer);
    } else if (next->valid_until[0] != '\0') {
        (void)pos_till_local_time(next->valid_until, when, sizeof when);
        pos_doc_linef(doc, POS_DOC_CENTER, _("valid until %s"), when);
    }
    pos_doc_qr(doc, next->signed_form);
    pos_doc_line(doc, POS_DOC_CENTER, next->code);
}

/* The receipt code of a purchase without a bonus card. */
static void receipt_code_part(const struct pos_receipt *r, struct pos_doc *doc)
{
    char when[64];
    pos_doc_rule(doc);
    pos_doc_line(doc, POS_DOC_BOLD | POS_DOC_CENTER,
                 _("Collect the points of this purchase later"));
    if (r->receipt_code_until[0] != '\0') {
        (void)pos_till_local_time(r->receipt_code_until, when, sizeof when);
        pos_doc_linef(doc, POS_DOC_CENTER, _("Show this code with your bonus card until %s."),
                      when);
    } else {
        pos_doc_line(doc, POS_DOC_CENTER, _("Show this code with your bonus card."));
    }
    pos_doc_qr(doc, r->receipt_code);
    pos_doc_line(doc, POS_DOC_CENTER, r->receipt_code);
}

void pos_receipt_doc(const struct pos_receipt *r, struct pos_doc *doc)
{
    char when[64];
    pos_doc_rule(doc);
    pos_doc_line(doc, POS_DOC_BOLD | POS_DOC_CENTER, _("Coupons and bonus points"));
    if (r->time[0] != '\0') {
        (void)pos_till_local_time(r->time, when, sizeof when);
        pos_doc_line(doc, POS_DOC_CENTER, when);
    }
    if (r->txn[0] != '\0')
        pos_doc_linef(doc, POS_DOC_CENTER, _("Receipt %s"), r->txn);
    pos_doc_rule(doc);
    money_part(r, doc);
    if (r->card[0] != '\0') {
        if (r->has_total || r->n_coupons > 0 || r->burned_points > 0)
            pos_doc_line(doc, POS_DOC_PLAIN, "");
        card_part(r, doc);
    }
    for (size_t i = 0; i < r->n_next; i++)
        next_part(&r->next[i], doc);
    if (r->receipt_code[0] != '\0')
        receipt_code_part(r, doc);
    pos_doc_rule(doc);
}
