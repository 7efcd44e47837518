/* The counter's refusals and extras in the till's answers. */
#include <inttypes.h>
#include <stdio.h>

#include "bounce.h"
#include "counter_answers.h"

const char *counter_amount(int64_t cents, enum cpn_lang lang, char *buf, size_t len)
{
    int64_t a = cents < 0 ? -cents : cents;
    snprintf(buf, len,
             lang == CPN_LANG_DE ? "%s%" PRId64 ",%02" PRId64 " €"
                                 : "%s%" PRId64 ".%02" PRId64 " EUR",
             cents < 0 ? "-" : "", a / 100, a % 100);
    return buf;
}

const char *counter_refusal_sentence(enum db_word status, enum cpn_lang lang, int64_t amount_cents,
                                     char *buf, size_t len)
{
    static const struct {
        enum db_word status;
        const char *en, *de;
    } sentences[] = {
        {DBW_NOT_COMBINABLE_RECEIPT, "Only one coupon of this campaign per purchase.",
         "Pro Einkauf nur ein Coupon dieser Aktion."},
        {DBW_NOT_COMBINABLE_OTHER,
         "A coupon on this receipt cannot be combined with others: this one cannot be added.",
         "Ein Coupon auf diesem Bon ist nicht mit anderen kombinierbar: dieser kann nicht "
         "dazukommen."},
        {DBW_NOT_COMBINABLE_ALONE,
         "This coupon cannot be combined with other coupons: it must be the only one on the "
         "receipt.",
         "Dieser Coupon ist nicht mit anderen Coupons kombinierbar: er muss allein auf dem Bon "
         "stehen."},
        {DBW_CARD_LIMIT_REACHED, "This bonus card has already used this coupon as often as it may.",
         "Mit dieser Bonuskarte wurde dieser Coupon schon so oft eingelöst, wie er darf."},
        {DBW_CARD_REQUIRED_LIMIT,
         "This coupon can only be used with a bonus card (it is limited per card).",
         "Dieser Coupon gilt nur mit Bonuskarte (er ist pro Karte begrenzt)."},
    };
    for (size_t i = 0; i < sizeof sentences / sizeof sentences[0]; i++)
        if (status == sentences[i].status)
            return lang == CPN_LANG_DE ? sentences[i].de : sentences[i].en;
    if (status == DBW_RECEIPT_BASKET) {
        char amount[32];
        counter_amount(amount_cents, lang, amount, sizeof amount);
        snprintf(buf, len,
                 lang == CPN_LANG_DE
                     ? "Die Coupons dieses Bons wurden auf einen Einkauf von %s eingelöst: "
                       "bitte denselben Betrag senden."
                     : "The coupons of this receipt were redeemed on a basket of %s: send the "
                       "same basket.",
                 amount);
        return buf;
    }
    return NULL;
}

void counter_redeem_extras(json_t *out, const struct redeem_answer *a, const char *receipt,
                           int64_t basket)
{
    if (out == NULL)
        return;
    if (a->discount_by_vat[0] != '\0') {
        json_t *vat = json_loads(a->discount_by_vat, 0, NULL);
        if (vat != NULL)
            json_object_set_new(out, "discount_by_vat", vat);
    }
    if (receipt != NULL && a->on_receipt)
        json_object_set_new(out, "receipt",
                            json_pack("{s:s, s:I, s:I, s:I, s:i}", "id", receipt, "basket_cents",
                                      (json_int_t)basket, "discount_cents",
                                      (json_int_t)a->receipt_discount_cents, "remaining_cents",
                                      (json_int_t)(basket - a->receipt_discount_cents), "coupons",
                                      (int)a->receipt_coupons));
    json_t *next = bounce_json(&a->next);
    if (next != NULL)
        json_object_set_new(out, "next_coupon", next);
}
