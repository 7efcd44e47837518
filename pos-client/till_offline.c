/* Offline acceptance: when the coupon service cannot be reached, the till accepts a verified
 * signed coupon (or books a card earn) on its own within the floor limits of its configuration,
 * gives the discount the service would give, and keeps the call in its journal until pos-client
 * sync sends it with its offline time. A typed short code (nothing to verify), a burn (the
 * balance cannot be known) and anything outside the limits are refused with a sentence. */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pos/contact.h"
#include "pos/i18n.h"
#include "pos/money.h"
#include "pos/till_internal.h"

bool pos_till_unreachable(const struct pos_till *till, enum cpn_err err, long status)
{
    if (status == 0)
        return (err == CPN_ERR_UNAVAILABLE || err == CPN_ERR_TIMEOUT) && pos_api_unsent(till->api);
    return status == 502 || status == 503 || status == 504;
}

int64_t pos_till_offline_discount(const struct cpn_code *code, int64_t basket_cents)
{
    int64_t v = code->offer_value, product;
    switch (code->offer_kind) {
    case CPN_OFFER_PERCENT:
        if (__builtin_mul_overflow(basket_cents, v, &product) ||
            __builtin_add_overflow(product, 50, &product))
            return -1;
        return product / 100;
    case CPN_OFFER_AMOUNT:
        return v < basket_cents ? v : basket_cents;
    default:
        return 0; /* points go to the card; nothing off */
    }
}

/* Says into RES->offline_why why the call is not accepted offline: the formatted sentence. */
__attribute__((format(printf, 2, 3))) static bool not_offline(struct pos_result *res,
                                                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->offline_why, sizeof res->offline_why, fmt, ap);
    va_end(ap);
    return false;
}

/* Checks the limits that do not depend on the coupon's offer: the journal's chain, the last
 * contact, and for the redeem E (REDEEM) the number waiting and that the same coupon does not
 * wait already. Returns true, or false with RES->offline_why set. */
static bool within_till_limits(const struct pos_till *till, const struct pos_journal_entry *e,
                               bool redeem, struct pos_result *res)
{
    const struct pos_config *cfg = till->cfg;
    struct pos_journal_state s;
    enum cpn_err err = pos_journal_load(cfg->state_dir, &s);
    size_t waiting = 0;
    char twice[POS_TXN_ID_SIZE + 72] = "";
    for (size_t i = 0; err == CPN_OK && i < s.n_pending; i++) {
        const struct pos_journal_entry *p = &s.pending[i];
        if (!p->offline || strcmp(p->kind, "redeem") != 0)
            continue;
        waiting++;
        if (redeem && strcmp(p->subject, e->subject) == 0 && strcmp(p->txn_id, e->txn_id) != 0) {
            char when[64];
            (void)pos_till_local_time(p->offline_at, when, sizeof when);
            snprintf(twice, sizeof twice, "%s, %s", p->txn_id, when);
        }
    }
    bool damaged = err == CPN_OK && s.damaged;
    pos_journal_state_free(&s);
    if (err != CPN_OK)
        return not_offline(res, "%s", _("This till cannot read its journal: please call IT."));
    if (damaged)
        return not_offline(res, "%s",
                           _("This till's journal is damaged (pos-client journal says where): "
                             "please call IT."));
    if (twice[0] != '\0')
        return not_offline(res,
                           _("This coupon was accepted offline at this till already (txn %s): "
                             "it cannot be used twice."),
                           twice);
    if (redeem && waiting >= (size_t)cfg->offline_max_count)
        return not_offline(res,
                           _("This till has accepted %zu coupons offline already, its limit: they "
                             "must reach the coupon service first."),
                           waiting);
    time_t last, now = time(NULL);
    err = pos_contact_last(cfg->state_dir, &last);
    if (err == CPN_ERR_NOT_FOUND)
        return not_offline(res, "%s", _("This till has never reached the coupon service."));
    if (err != CPN_OK)
        return not_offline(res, "%s",
                           _("This till cannot tell when it last reached the coupon service: "
                             "please call IT."));
    double hours = difftime(now, last) / 3600.0;
    if (hours < -0.25)
        return not_offline(res, "%s",
                           _("This till's clock is behind its last contact with the coupon "
                             "service: please call IT."));
    if (hours > (double)cfg->offline_max_hours)
        return not_offline(res,
                           _("This till last reached the coupon service %.0f hours ago; it "
                             "accepts coupons offline for %ld hours after that."),
                           hours, cfg->offline_max_hours);
    return true;
}

/* Checks the signed COUPON for a basket of BASKET cents: verified, not expired by this till's
 * clock, the basket at its minimum, its discount (into *DISCOUNT) within the limit. Returns
 * true; or false with RES->offline_why set, or (for a coupon this till knows to be invalid) with
 * RES filled as a refusal. */
static bool coupon_within_limits(const struct pos_till *till, const struct pos_scan *coupon,
                                 int64_t basket, int64_t *discount, struct pos_result *res)
{
    if (!coupon->code.is_signed)
        return not_offline(res, "%s",
                           _("A typed code can only be redeemed online: scan the coupon's QR "
                             "code, or try again when the service answers."));
    if (coupon->verified != POS_VERIFIED_OK)
        return not_offline(res,
                           _("This QR code was signed with key %u, which this till does not "
                             "have, so it cannot be checked offline."),
                           (unsigned)coupon->code.sign_key_id);
    char money[POS_MONEY_SIZE], limit[POS_MONEY_SIZE];
    if (pos_scan_expired(&coupon->code, (long long)time(NULL))) {
        res->exit = POS_EXIT_REFUSED;
        res->err = CPN_ERR_EXPIRED;
        res->local = true;
        pos_result_line(res, _("REFUSED: %s (checked offline by this till's clock)"),
                        pos_err_message(CPN_ERR_EXPIRED));
        return false;
    }
    if (basket < (int64_t)coupon->code.min_basket_cents) {
        res->exit = POS_EXIT_REFUSED;
        res->err = CPN_ERR_BELOW_MINIMUM;
        res->local = true;
        pos_result_line(res,
                        _("REFUSED: This coupon needs a basket of at least %s (checked offline)."),
                        pos_money_format(coupon->code.min_basket_cents, money));
        return false;
    }
    *discount = pos_till_offline_discount(&coupon->code, basket);
    if (*discount < 0 || *discount > till->cfg->offline_max_discount_cents)
        return not_offline(res,
                           _("Its discount of %s is above this till's offline limit of %s per "
                             "coupon."),
                           pos_money_format(*discount < 0 ? INT64_MAX : *discount, money),
                           pos_money_format(till->cfg->offline_max_discount_cents, limit));
    return true;
}

bool pos_till_accept_offline(struct pos_till *till, struct pos_journal_entry *e,
                             const struct pos_scan *coupon, struct pos_result *res)
{
    const struct pos_config *cfg = till->cfg;
    if (cfg->offline_max_discount_cents == 0 || cfg->offline_max_count == 0 ||
        cfg->offline_max_hours == 0)
        return not_offline(res, "%s", _("Offline redemption is switched off on this till."));
    int64_t discount = 0;
    if (coupon != NULL && !coupon_within_limits(till, coupon, e->amount, &discount, res))
        return false;
    if (!within_till_limits(till, e, coupon != NULL, res))
        return false;
    e->discount_cents = discount;
    e->campaign_id = coupon != NULL ? (int64_t)coupon->code.campaign : 0;
    if (pos_journal_record_offline(till->cfg->state_dir, e) != CPN_OK)
        return not_offline(res, _("This till cannot write its journal (%s): please call IT."),
                           strerror(errno));
    /* On disk: from here on the customer gets it. */
    res->exit = POS_EXIT_OK;
    res->err = CPN_OK;
    res->pending = false;
    res->offline_accepted = true;
    res->maybe_sent = e->maybe_sent;
    snprintf(res->offline_at, sizeof res->offline_at, "%s", e->offline_at);
    res->discount_cents = discount;
    res->campaign_id = e->campaign_id;
    res->id = 0;
    char off[POS_MONEY_SIZE], due[POS_MONEY_SIZE], offer[POS_DESCRIBE_SIZE];
    if (coupon == NULL) {
        pos_result_line(res,
                        _("ACCEPTED OFFLINE: the points for %s are booked on bonus card %s when "
                          "the coupon service answers again (txn %s)"),
                        pos_money_format(e->amount, off), e->subject, e->txn_id);
    } else if (coupon->code.offer_kind == CPN_OFFER_PERCENT ||
               coupon->code.offer_kind == CPN_OFFER_AMOUNT) {
        pos_result_line(res,
                        _("ACCEPTED OFFLINE: %s off, pay %s (txn %s; sent to the coupon service "
                          "when it answers again)"),
                        pos_money_format(discount, off),
                        pos_money_format(e->amount - discount, due), e->txn_id);
    } else {
        pos_result_line(res,
                        _("ACCEPTED OFFLINE: %s, booked when the coupon service answers again "
                          "(txn %s)"),
                        pos_scan_describe(&coupon->code, offer, sizeof offer), e->txn_id);
    }
    pos_result_detail(res,
                      "the service could not be reached; accepted within this till's floor "
                      "limits at %s",
                      e->offline_at);
    return true;
}

void pos_till_sync_failure(const struct pos_till *till, const struct pos_journal_entry *e,
                           enum cpn_err err, long status, const json_t *answer,
                           struct pos_result *res)
{
    pos_result_call_failed(till, err, status, _("REFUSED: "), res);
    bool definite = status == 404 || status == 409 || status == 422;
    if (!definite) {
        /* It waits: unreachable, failing, or an answer this till cannot act on (call IT). */
        res->exit = status == 0 || status >= 500 || status == 408 || status == 429
                        ? POS_EXIT_UNAVAILABLE
                        : POS_EXIT_USAGE;
        pos_result_line(res, _("%s It stays in this till's journal for pos-client sync."),
                        pos_api_message(till->api));
        return;
    }
    const char *code = json_string_value(json_object_get(answer, "error"));
    char outcome[128];
    snprintf(outcome, sizeof outcome, "%.40s %ld d=%" PRId64 " c=%" PRId64,
             code != NULL ? code : "http", status, e->discount_cents, e->campaign_id);
    pos_till_journal_close(till, res, outcome);
}

void pos_till_withdraw(struct pos_till *till, const char *txn, struct pos_result *res)
{
    pos_result_init(res);
    snprintf(res->txn_id, sizeof res->txn_id, "%s", txn);
    struct pos_journal_state s;
    enum cpn_err err = pos_journal_load(till->cfg->state_dir, &s);
    const struct pos_journal_entry *p = err == CPN_OK ? pos_journal_find(&s, txn) : NULL;
    bool ok = p != NULL && p->offline && !p->maybe_sent;
    pos_journal_state_free(&s);
    if (!ok) {
        res->exit = POS_EXIT_USAGE;
        res->err = CPN_ERR_BAD_REQUEST;
        res->local = true;
        pos_result_line(res,
                        _("pos-client: txn %s is not a call accepted offline that never left "
                          "this till: it cannot be withdrawn."),
                        txn);
        return;
    }
    pos_till_journal_close(till, res, "withdrawn 0");
    if (res->detail[0] != '\0') {
        res->exit = POS_EXIT_USAGE;
        pos_result_line(res, "%s", _("This till cannot write its journal: please call IT."));
        return;
    }
    pos_result_line(res, "%s", _("WITHDRAWN: accepted offline and never sent; nothing is booked"));
}
