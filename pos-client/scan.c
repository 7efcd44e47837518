/* Local checks of a scanned or typed code with libcoupon: form and check character, kind,
 * offline signature and card binding, and a cashier's description of a signed coupon's offer. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pos/i18n.h"
#include "pos/money.h"
#include "pos/scan.h"

#define SECONDS_PER_DAY 86400LL

enum cpn_err pos_scan_parse_any(const char *text, struct pos_scan *scan, const char **why)
{
    memset(scan, 0, sizeof *scan);
    *why = NULL;
    enum cpn_err err = cpn_code_parse(text, strlen(text), &scan->code);
    if (err == CPN_ERR_TYPO || err == CPN_ERR_MALFORMED_CODE) {
        *why = pos_err_message(err);
        return err;
    }
    if (err != CPN_OK) {
        *why = pos_err_message(CPN_ERR_MALFORMED_CODE);
        return CPN_ERR_MALFORMED_CODE;
    }
    size_t len = 0;
    if (cpn_code_format_short(&scan->code, scan->short_form) != CPN_OK ||
        (scan->code.is_signed &&
         cpn_code_format_signed(&scan->code, scan->text, sizeof scan->text, &len) != CPN_OK)) {
        memset(scan, 0, sizeof *scan);
        *why = pos_err_message(CPN_ERR_MALFORMED_CODE);
        return CPN_ERR_MALFORMED_CODE;
    }
    if (!scan->code.is_signed)
        memcpy(scan->text, scan->short_form, sizeof scan->short_form);
    return CPN_OK;
}

enum cpn_err pos_scan_parse(const char *text, enum cpn_kind want, struct pos_scan *scan,
                            const char **why)
{
    enum cpn_err err = pos_scan_parse_any(text, scan, why);
    if (err != CPN_OK || scan->code.kind == want)
        return err;
    *why = want == CPN_KIND_COUPON ? _("This is a bonus card, not a coupon.")
                                   : _("This is a coupon, not a bonus card.");
    return CPN_ERR_BAD_REQUEST;
}

enum cpn_err pos_scan_verify(const struct cpn_keyring *keys, struct pos_scan *scan,
                             const char **why)
{
    *why = NULL;
    scan->verified = POS_VERIFIED_NO_SIGNATURE;
    if (!scan->code.is_signed)
        return CPN_OK;
    enum cpn_err err = keys != NULL ? cpn_code_verify(keys, &scan->code) : CPN_ERR_UNKNOWN_KEY;
    switch (err) {
    case CPN_OK:
        scan->verified = POS_VERIFIED_OK;
        return CPN_OK;
    case CPN_ERR_UNKNOWN_KEY:
        scan->verified = POS_VERIFIED_UNKNOWN_KEY;
        return CPN_OK;
    case CPN_ERR_KEY_RETIRED:
        *why = pos_err_message(CPN_ERR_KEY_RETIRED);
        return CPN_ERR_KEY_RETIRED;
    default:
        *why = pos_err_message(CPN_ERR_FORGED_CODE);
        return CPN_ERR_FORGED_CODE;
    }
}

enum cpn_err pos_scan_check_card(const struct pos_scan *coupon, const struct pos_scan *card,
                                 const char **why)
{
    *why = NULL;
    if (coupon->verified != POS_VERIFIED_OK || !coupon->code.bound_to_card)
        return CPN_OK;
    if (card == NULL) {
        *why = pos_err_message(CPN_ERR_CARD_REQUIRED);
        return CPN_ERR_CARD_REQUIRED;
    }
    if (card->code.serial != coupon->code.card_serial) {
        *why = pos_err_message(CPN_ERR_WRONG_CARD);
        return CPN_ERR_WRONG_CARD;
    }
    return CPN_OK;
}

/* Appends the formatted text to BUF (SIZE bytes, holding a string), truncating. */
__attribute__((format(printf, 3, 4))) static void append(char *buf, size_t size, const char *fmt,
                                                         ...)
{
    size_t n = strlen(buf);
    if (n + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, size - n, fmt, ap);
    va_end(ap);
}

/* Appends " valid until 2026-12-31" for the expiry T (unix seconds): the UTC date of the last
 * second it is valid, with the time of day when it does not end at midnight. */
static void append_expiry(char *buf, size_t size, long long t)
{
    time_t last = (time_t)(t - 1);
    time_t at = (time_t)t;
    struct tm tm_last, tm_at;
    char date[16] = "?";
    if (gmtime_r(&last, &tm_last) != NULL)
        /* TRANSLATORS: a strftime() date, as the cashier reads it */
        strftime(date, sizeof date, _("%Y-%m-%d"), &tm_last);
    long long tod = ((t % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY;
    if (tod == 0 || tod == SECONDS_PER_DAY - 1 || gmtime_r(&at, &tm_at) == NULL) {
        append(buf, size, _(", valid until %s"), date);
        return;
    }
    char hm[8] = "";
    strftime(hm, sizeof hm, "%H:%M", &tm_at);
    append(buf, size, _(", valid until %s %s UTC"), date, hm);
}

const char *pos_scan_describe(const struct cpn_code *code, char *buf, size_t size)
{
    char money[POS_MONEY_SIZE];
    if (size == 0)
        return buf;
    buf[0] = '\0';
    switch (code->offer_kind) {
    case CPN_OFFER_PERCENT:
        append(buf, size, _("%lu%% off"), (unsigned long)code->offer_value);
        break;
    case CPN_OFFER_AMOUNT:
        append(buf, size, _("%s off"), pos_money_format(code->offer_value, money));
        break;
    case CPN_OFFER_POINTS:
        append(buf, size, _("%lu bonus points"), (unsigned long)code->offer_value);
        break;
    case CPN_OFFER_POINTS_MULTIPLY:
        append(buf, size, _("%lux points on the purchase"), (unsigned long)code->offer_value);
        break;
    default:
        append(buf, size, "%s", _("no offer"));
        break;
    }
    if (code->min_basket_cents > 0)
        append(buf, size, _(", minimum basket %s"),
               pos_money_format(code->min_basket_cents, money));
    if (code->expiry != 0)
        append_expiry(buf, size, code->expiry);
    if (code->bound_to_card)
        append(buf, size, "%s", _(", only with the customer's own bonus card"));
    return buf;
}

bool pos_scan_expired(const struct cpn_code *code, long long now)
{
    return code->expiry != 0 && now >= (long long)code->expiry;
}
