/* Unit tests for the till's language (pos-client/i18n.c) and for several coupons on one receipt
 * (cashier_order.c): German by the locale as gettext chooses it (LC_ALL over LC_MESSAGES over
 * LANG; English for C), amounts as "5,00 €" or "5.00 EUR", the Accept-Language header to match,
 * sentences from the German catalog; and the service's order of a basket's coupons (amounts
 * first, then percents on what is left) with the sum the cashier is shown before paying. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pos/cashier_internal.h"
#include "pos/i18n.h"
#include "pos/money.h"

/* Sets the locale variables (NULL: unset) and reads the language again. */
static void locale_env(const char *lc_all, const char *lc_messages, const char *lang)
{
    const char *names[3] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    const char *values[3] = {lc_all, lc_messages, lang};
    unsetenv("LANGUAGE");
    for (int i = 0; i < 3; i++) {
        if (values[i] != NULL)
            setenv(names[i], values[i], 1);
        else
            unsetenv(names[i]);
    }
    pos_i18n_init(NULL);
}

static void german_for_de_DE_UTF8_in_LANG(void **state)
{
    (void)state;
    locale_env(NULL, NULL, "de_DE.UTF-8");
    assert_int_equal(pos_i18n_lang(), POS_LANG_DE);
    char buf[POS_MONEY_SIZE];
    assert_string_equal(pos_money_format(500, buf), "5,00 €");
    assert_string_equal(pos_money_format(-1499, buf), "-14,99 €");
    assert_string_equal(pos_i18n_accept_language(), "Accept-Language: de, en;q=0.5");
    assert_string_equal(_("REFUSED: "), "ABGELEHNT: ");
    assert_string_equal(P_("%zu conflict", "%zu conflicts", 2), "%zu Konflikte");
    struct pos_line l;
    pos_cashier_classify("12,3,4", &l);
    assert_int_equal(l.kind, POS_LINE_BAD_NUMBER);
    assert_string_equal(l.why, "Kein Betrag: die Summe so eingeben: 12,34.");
    /* A code refused by the till itself: libcoupon's German sentence. */
    pos_cashier_classify("4000-0016-P1ND-HYCF", &l);
    assert_int_equal(l.kind, POS_LINE_BAD_CODE);
    assert_string_equal(l.why, "Der Code enthält einen Tippfehler (das Prüfzeichen passt nicht): "
                               "bitte noch einmal eintippen.");
    assert_string_equal(pos_err_message(CPN_ERR_EXPIRED),
                        cpn_err_message_lang(CPN_ERR_EXPIRED, CPN_LANG_DE));
}

static void english_otherwise(void **state)
{
    (void)state;
    locale_env(NULL, NULL, "C.UTF-8");
    assert_int_equal(pos_i18n_lang(), POS_LANG_EN);
    char buf[POS_MONEY_SIZE];
    assert_string_equal(pos_money_format(500, buf), "5.00 EUR");
    assert_string_equal(pos_i18n_accept_language(), "Accept-Language: en");
    assert_string_equal(_("REFUSED: "), "REFUSED: ");
    locale_env(NULL, NULL, NULL); /* no locale at all: C */
    assert_int_equal(pos_i18n_lang(), POS_LANG_EN);
}

static void lc_all_wins_over_lc_messages_and_lang(void **state)
{
    (void)state;
    locale_env("C.UTF-8", "de_DE.UTF-8", "de_DE.UTF-8");
    assert_int_equal(pos_i18n_lang(), POS_LANG_EN);
    locale_env(NULL, "de_DE.UTF-8", "C.UTF-8");
    assert_int_equal(pos_i18n_lang(), POS_LANG_DE);
    locale_env("de_DE.UTF-8", NULL, "C.UTF-8");
    assert_int_equal(pos_i18n_lang(), POS_LANG_DE);
    locale_env(NULL, NULL, "C.UTF-8");
}

static void german_words_work_in_the_till_mode(void **state)
{
    (void)state;
    struct pos_line l;
    const struct {
        const char *line;
        enum pos_line_kind kind;
    } cases[] = {
        {"zahlen", POS_LINE_PAY},        {"Abbrechen", POS_LINE_CANCEL},
        {"hilfe", POS_LINE_HELP},        {"ende", POS_LINE_QUIT},
        {"wiederholen", POS_LINE_RETRY}, {"summe 12,34", POS_LINE_TOTAL},
        {"punkte 500", POS_LINE_BURN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pos_cashier_classify(cases[i].line, &l);
        assert_int_equal(l.kind, cases[i].kind);
    }
}

/* Puts a signed coupon offering KIND VALUE (or a short code with its checked DISCOUNT when KIND
 * is CPN_OFFER_NONE) into B. */
static void add_coupon(struct pos_basket *b, const char *code, enum cpn_offer_kind kind,
                       uint32_t value, int64_t discount)
{
    struct pos_basket_coupon *c = &b->coupons[b->n_coupons++];
    memset(c, 0, sizeof *c);
    snprintf(c->scan.short_form, sizeof c->scan.short_form, "%s", code);
    c->scan.code.is_signed = kind != CPN_OFFER_NONE;
    c->scan.code.offer_kind = kind;
    c->scan.code.offer_value = value;
    c->discount_cents = discount;
}

static void two_15_percent_coupons_take_15_percent_of_what_is_left(void **state)
{
    (void)state;
    struct pos_basket b;
    pos_basket_clear(&b);
    b.has_total = true;
    b.total_cents = 6490;
    add_coupon(&b, "A", CPN_OFFER_PERCENT, 15, 974);
    add_coupon(&b, "B", CPN_OFFER_PERCENT, 15, 974);
    /* 15 % of 64.90 is 9.74; 15 % of the 55.16 left is 8.27: 18.01 in all, not 19.48. */
    assert_int_equal(pos_basket_order(&b), 1801);
    assert_int_equal(b.coupons[0].preview_cents, 974);
    assert_int_equal(b.coupons[1].preview_cents, 827);
}

static void amounts_go_first_then_the_larger_percent(void **state)
{
    (void)state;
    struct pos_basket b;
    pos_basket_clear(&b);
    b.has_total = true;
    b.total_cents = 10000;
    add_coupon(&b, "P10", CPN_OFFER_PERCENT, 10, 1000);
    add_coupon(&b, "P15", CPN_OFFER_PERCENT, 15, 1500);
    add_coupon(&b, "PTS", CPN_OFFER_POINTS, 500, 0);
    add_coupon(&b, "A500", CPN_OFFER_AMOUNT, 500, 500);
    add_coupon(&b, "SHORT", CPN_OFFER_NONE, 0, 300); /* a typed code: its checked discount */
    /* 5.00 and 3.00 off, then 15 % of 92.00 (13.80), then 10 % of 78.20 (7.82): 29.62. */
    assert_int_equal(pos_basket_order(&b), 2962);
    const char *order[] = {"A500", "SHORT", "P15", "P10", "PTS"};
    const int64_t preview[] = {500, 300, 1380, 782, 0};
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(b.coupons[i].scan.short_form, order[i]);
        assert_int_equal(b.coupons[i].preview_cents, preview[i]);
    }
    /* The example: 10 % and 15 % on 100.00 give 23.50, not 25.00. */
    pos_basket_clear(&b);
    b.has_total = true;
    b.total_cents = 10000;
    add_coupon(&b, "P10", CPN_OFFER_PERCENT, 10, 1000);
    add_coupon(&b, "P15", CPN_OFFER_PERCENT, 15, 1500);
    assert_int_equal(pos_basket_order(&b), 2350);
}

static void the_discounts_never_exceed_the_basket(void **state)
{
    (void)state;
    struct pos_basket b;
    pos_basket_clear(&b);
    b.has_total = true;
    b.total_cents = 800;
    add_coupon(&b, "A", CPN_OFFER_AMOUNT, 500, 500);
    add_coupon(&b, "B", CPN_OFFER_AMOUNT, 500, 500);
    add_coupon(&b, "C", CPN_OFFER_PERCENT, 100, 800);
    b.burn_points = 1000;
    assert_int_equal(pos_basket_order(&b), 800);
    assert_int_equal(b.coupons[1].preview_cents, 300);
    assert_int_equal(b.coupons[2].preview_cents, 0);
}

static void the_order_is_said_before_paying(void **state)
{
    (void)state;
    locale_env(NULL, NULL, "de_DE.UTF-8");
    char *text = NULL;
    size_t len = 0;
    struct pos_cashier_session s = {.till = NULL};
    s.out = open_memstream(&text, &len);
    assert_non_null(s.out);
    pos_basket_clear(&s.b);
    s.b.has_total = true;
    s.b.total_cents = 6490;
    add_coupon(&s.b, "4000-AAAA-AAAA-AAAA", CPN_OFFER_PERCENT, 15, 974);
    add_coupon(&s.b, "4000-BBBB-BBBB-BBBB", CPN_OFFER_AMOUNT, 500, 500);
    (void)pos_basket_order(&s.b);
    pos_cashier_say_order(&s);
    fclose(s.out);
    assert_string_equal(text, "REIHENFOLGE: der Coupon-Dienst rechnet die Coupons in dieser "
                              "Reihenfolge an (erst Beträge, dann Prozente, jeweils auf den "
                              "Rest):\n"
                              "  1. Coupon 4000-BBBB-BBBB-BBBB: 5,00 € Rabatt\n"
                              "  2. Coupon 4000-AAAA-AAAA-AAAA: 15 % von 59,90 €: 8,99 € Rabatt\n"
                              "  zusammen 13,99 € Rabatt\n");
    free(text);
    locale_env(NULL, NULL, "C.UTF-8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(german_for_de_DE_UTF8_in_LANG),
        cmocka_unit_test(english_otherwise),
        cmocka_unit_test(lc_all_wins_over_lc_messages_and_lang),
        cmocka_unit_test(german_words_work_in_the_till_mode),
        cmocka_unit_test(two_15_percent_coupons_take_15_percent_of_what_is_left),
        cmocka_unit_test(amounts_go_first_then_the_larger_percent),
        cmocka_unit_test(the_discounts_never_exceed_the_basket),
        cmocka_unit_test(the_order_is_said_before_paying),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
