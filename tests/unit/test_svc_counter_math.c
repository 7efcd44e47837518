/* Unit tests of the counter's pure parts (issue 17): the discount apportioned to VAT rates
 * (property test over 100,000 random baskets and offers), coupons stacked on one receipt
 * (property test over 10,000 random stacks, and the 10 % + 15 % example), receipt codes (made
 * and read back, forged, retired, malformed), Accept-Language, the German error sentences, and
 * the reading of basket_by_vat. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../service/counter_answers.h"
#include "../../service/http_lang.h"
#include "../../service/vat_in.h"
#include "coupon/err.h"
#include "coupon/keys.h"
#include "coupon/receipt_code.h"
#include "coupon/shares.h"

/* A fixed pseudo-random sequence (xorshift64*), so that a failure can be replayed. */
static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next_random(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717u;
}
static int64_t below(int64_t n)
{
    return (int64_t)(next_random() % (uint64_t)n);
}

static void vat_shares_hold_over_100000_random_baskets_and_offers(void **state)
{
    (void)state;
    for (int round = 0; round < 100000; round++) {
        size_t n = 1 + (size_t)below(CPN_SHARES_MAX);
        int keys[CPN_SHARES_MAX];
        int64_t parts[CPN_SHARES_MAX], shares[CPN_SHARES_MAX], basket = 0;
        /* Baskets from a cent to a million euros; some rates empty; keys unordered. */
        int64_t scale = round % 3 == 0 ? 1000 : round % 3 == 1 ? 100000 : 100000000;
        for (size_t i = 0; i < n; i++) {
            keys[i] = (int)(n - i) * 3 + (int)below(3);
            parts[i] = below(5) == 0 ? 0 : below(scale);
            basket += parts[i];
        }
        if (basket == 0)
            parts[0] = basket = 1 + below(scale);
        /* An offer: a percent (rounded as the service rounds it) or an amount capped at the
         * basket, or the whole basket, or nothing. */
        int64_t discount;
        switch (below(4)) {
        case 0:
            discount = (basket * (1 + below(100)) + 50) / 100;
            break;
        case 1:
            discount = below(basket + 1);
            break;
        case 2:
            discount = basket;
            break;
        default:
            discount = 0;
        }
        assert_int_equal(cpn_apportion(discount, parts, keys, n, shares), CPN_OK);
        int64_t sum = 0;
        for (size_t i = 0; i < n; i++) {
            sum += shares[i];
            assert_true(shares[i] >= 0);
            assert_true(shares[i] <= parts[i]); /* never above its rate's basket */
            /* within one cent of the exact share: |share * basket - discount * part| < basket */
            __int128 exact = (__int128)discount * parts[i], got = (__int128)shares[i] * basket;
            __int128 diff = got > exact ? got - exact : exact - got;
            assert_true(diff < basket);
        }
        assert_int_equal(sum, discount);
    }
}

static void vat_shares_follow_the_largest_remainder(void **state)
{
    (void)state;
    int keys[3] = {1, 2, 3};
    int64_t parts[3] = {10, 10, 10}, out[3];
    assert_int_equal(cpn_apportion(7, parts, keys, 3, out), CPN_OK);
    assert_int_equal(out[0], 3); /* ties: the lower rate key first */
    assert_int_equal(out[1], 2);
    assert_int_equal(out[2], 2);
    int keys2[2] = {1, 2};
    int64_t parts2[2] = {3000, 2000}, out2[2];
    assert_int_equal(cpn_apportion(1000, parts2, keys2, 2, out2), CPN_OK);
    assert_int_equal(out2[0], 600);
    assert_int_equal(out2[1], 400);
    int64_t parts3[2] = {1001, 1000}, out3[2];
    assert_int_equal(cpn_apportion(1001, parts3, keys2, 2, out3), CPN_OK);
    assert_int_equal(out3[0] + out3[1], 1001);
    /* refusals: more than the basket, a negative part, no part */
    assert_int_equal(cpn_apportion(5001, parts2, keys2, 2, out2), CPN_ERR_BAD_REQUEST);
    int64_t neg[2] = {-1, 5};
    assert_int_equal(cpn_apportion(1, neg, keys2, 2, out2), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_apportion(0, parts2, keys2, 0, out2), CPN_ERR_BAD_REQUEST);
}

static void a_stackable_10_and_15_percent_on_100_euros_give_23_50(void **state)
{
    (void)state;
    struct cpn_stack_offer offers[2] = {{CPN_STACK_PERCENT, 10}, {CPN_STACK_PERCENT, 15}};
    int64_t d[2], total;
    size_t order[2];
    assert_int_equal(cpn_stack_apply(10000, offers, 2, d, order, &total), CPN_OK);
    assert_int_equal(total, 2350);
    assert_int_equal(order[0], 1); /* the larger percent first */
    assert_int_equal(d[1], 1500);
    assert_int_equal(d[0], 850);
    /* amounts first, then percents on what is left: 5.00, then 10 % of 95.00 */
    struct cpn_stack_offer mixed[3] = {
        {CPN_STACK_PERCENT, 10}, {CPN_STACK_NONE, 100}, {CPN_STACK_AMOUNT, 500}};
    int64_t d3[3];
    size_t o3[3];
    assert_int_equal(cpn_stack_apply(10000, mixed, 3, d3, o3, &total), CPN_OK);
    assert_int_equal(total, 1450);
    assert_int_equal(o3[0], 2);
    assert_int_equal(o3[1], 0);
    assert_int_equal(o3[2], 1);
    assert_int_equal(d3[1], 0);
    struct cpn_stack_offer bad = {CPN_STACK_PERCENT, 101};
    assert_int_equal(cpn_stack_apply(100, &bad, 1, d, NULL, &total), CPN_ERR_BAD_REQUEST);
}

static void ten_thousand_random_stacks_stay_between_0_and_the_basket(void **state)
{
    (void)state;
    for (int round = 0; round < 10000; round++) {
        size_t n = (size_t)below(CPN_SHARES_MAX + 1);
        struct cpn_stack_offer o[CPN_SHARES_MAX];
        int64_t basket = below(4) == 0 ? below(100) : below(100000000), d[CPN_SHARES_MAX];
        for (size_t i = 0; i < n; i++) {
            int64_t k = below(3);
            o[i].kind = k == 0 ? CPN_STACK_AMOUNT : k == 1 ? CPN_STACK_PERCENT : CPN_STACK_NONE;
            o[i].value = o[i].kind == CPN_STACK_PERCENT ? below(101) : below(2 * basket + 2);
        }
        int64_t total = -1, sum = 0;
        assert_int_equal(cpn_stack_apply(basket, o, n, d, NULL, &total), CPN_OK);
        assert_true(total >= 0 && total <= basket);
        for (size_t i = 0; i < n; i++) {
            assert_true(d[i] >= 0);
            sum += d[i];
        }
        assert_int_equal(sum, total);
    }
}

static struct cpn_keyring *test_keys(void)
{
    struct cpn_keyring *k = cpn_keyring_new();
    uint8_t mac[CPN_MAC_KEY_BYTES];
    memset(mac, 0x42, sizeof mac);
    assert_int_equal(cpn_keyring_add_mac_key(k, 3, mac), CPN_OK);
    return k;
}

static void a_receipt_code_reads_back_what_it_says(void **state)
{
    (void)state;
    struct cpn_keyring *k = test_keys();
    struct cpn_receipt r = {
        .store = 7, .issued_at = 1790000000, .valid_until = 1791209600, .basket_cents = 4599};
    snprintf(r.terminal, sizeof r.terminal, "terminal-1");
    snprintf(r.txn, sizeof r.txn, "buy-0001:a_b.c");
    char code[CPN_RECEIPT_CODE_MAX];
    assert_int_equal(cpn_receipt_make(k, &r, code), CPN_OK);
    assert_int_equal(r.key_id, 3);
    assert_true(cpn_receipt_looks_like(code));
    for (const char *c = code; *c != '\0'; c++) /* QR alphanumeric mode */
        assert_non_null(strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", *c));
    struct cpn_receipt back;
    assert_int_equal(cpn_receipt_read(k, code, strlen(code), &back), CPN_OK);
    assert_int_equal(back.store, 7);
    assert_int_equal(back.issued_at, 1790000000);
    assert_int_equal(back.valid_until, 1791209600);
    assert_int_equal(back.basket_cents, 4599);
    assert_string_equal(back.terminal, "terminal-1");
    assert_string_equal(back.txn, "buy-0001:a_b.c");
    /* lower case, as a scanner in the wrong mode types it */
    char lower[CPN_RECEIPT_CODE_MAX];
    for (size_t i = 0; i <= strlen(code); i++)
        lower[i] = (char)(code[i] >= 'A' && code[i] <= 'Z' ? code[i] + 32 : code[i]);
    assert_int_equal(cpn_receipt_read(k, lower, strlen(lower), &back), CPN_OK);
    /* any changed symbol is forged or malformed, never read */
    for (size_t i = 2; i < strlen(code); i++) {
        char bad[CPN_RECEIPT_CODE_MAX];
        memcpy(bad, code, sizeof bad);
        bad[i] = bad[i] == 'Q' ? 'R' : 'Q';
        enum cpn_err err = cpn_receipt_read(k, bad, strlen(bad), &back);
        assert_true(err == CPN_ERR_FORGED_CODE || err == CPN_ERR_MALFORMED_CODE);
    }
    assert_int_equal(cpn_receipt_read(k, "RC", 2, &back), CPN_ERR_MALFORMED_CODE);
    assert_int_equal(cpn_receipt_read(k, code + 2, strlen(code) - 2, &back),
                     CPN_ERR_MALFORMED_CODE);
    /* another service's key: forged; a retired key: refused */
    struct cpn_keyring *other = cpn_keyring_new();
    uint8_t mac[CPN_MAC_KEY_BYTES];
    memset(mac, 0x43, sizeof mac);
    assert_int_equal(cpn_keyring_add_mac_key(other, 3, mac), CPN_OK);
    assert_int_equal(cpn_receipt_read(other, code, strlen(code), &back), CPN_ERR_FORGED_CODE);
    assert_int_equal(cpn_keyring_retire(k, 3), CPN_OK);
    assert_int_equal(cpn_receipt_read(k, code, strlen(code), &back), CPN_ERR_KEY_RETIRED);
    /* fields out of range */
    struct cpn_receipt big = r;
    big.basket_cents = CPN_RECEIPT_BASKET_MAX + 1;
    assert_int_equal(cpn_receipt_make(other, &big, code), CPN_ERR_BAD_REQUEST);
    struct cpn_receipt blank = r;
    blank.txn[0] = '\0';
    assert_int_equal(cpn_receipt_make(other, &blank, code), CPN_ERR_BAD_REQUEST);
    cpn_keyring_free(other);
    cpn_keyring_free(k);
}

static void the_longest_receipt_code_fits_its_buffer(void **state)
{
    (void)state;
    struct cpn_keyring *k = test_keys();
    struct cpn_receipt r = {.store = UINT32_MAX, .basket_cents = CPN_RECEIPT_BASKET_MAX};
    memset(r.terminal, 'T', CPN_RECEIPT_TERMINAL_MAX);
    memset(r.txn, 'x', CPN_RECEIPT_TXN_MAX);
    char code[CPN_RECEIPT_CODE_MAX];
    assert_int_equal(cpn_receipt_make(k, &r, code), CPN_OK);
    assert_int_equal(strlen(code), CPN_RECEIPT_CODE_MAX - 1);
    struct cpn_receipt back;
    assert_int_equal(cpn_receipt_read(k, code, strlen(code), &back), CPN_OK);
    assert_int_equal(back.basket_cents, CPN_RECEIPT_BASKET_MAX);
    cpn_keyring_free(k);
}

static void accept_language_picks_german_only_when_preferred(void **state)
{
    (void)state;
    assert_int_equal(http_lang_parse(NULL), CPN_LANG_EN);
    assert_int_equal(http_lang_parse(""), CPN_LANG_EN);
    assert_int_equal(http_lang_parse("de"), CPN_LANG_DE);
    assert_int_equal(http_lang_parse("de-DE,de;q=0.9,en;q=0.8"), CPN_LANG_DE);
    assert_int_equal(http_lang_parse("DE-at"), CPN_LANG_DE);
    assert_int_equal(http_lang_parse("en-US,en;q=0.9,de;q=0.8"), CPN_LANG_EN);
    assert_int_equal(http_lang_parse("fr, de;q=0.5"), CPN_LANG_DE);
    assert_int_equal(http_lang_parse("de;q=0, en"), CPN_LANG_EN);
    assert_int_equal(http_lang_parse("en;q=0.4, de;q=0.6"), CPN_LANG_DE);
    assert_int_equal(http_lang_parse("*;q=0.9, de;q=0.8"), CPN_LANG_EN);
    assert_int_equal(http_lang_parse("deu"), CPN_LANG_EN);
    assert_int_equal(http_lang_parse("de;q=banana"), CPN_LANG_EN);
    assert_int_equal(http_lang_parse(",,,;;;q=,de"), CPN_LANG_DE);
}

static void every_error_has_a_german_sentence_and_the_same_code(void **state)
{
    (void)state;
    for (int e = 0; e < CPN_ERR__COUNT; e++) {
        const char *en = cpn_err_message_lang((enum cpn_err)e, CPN_LANG_EN);
        const char *de = cpn_err_message_lang((enum cpn_err)e, CPN_LANG_DE);
        assert_string_equal(en, cpn_err_message((enum cpn_err)e));
        if (strcmp(en, de) == 0)
            fprintf(stderr, "error %d (%s) has no German sentence\n", e,
                    cpn_err_code((enum cpn_err)e));
        assert_string_not_equal(en, de);
    }
    assert_string_equal(cpn_err_code(CPN_ERR_CARD_LIMIT_REACHED), "card_limit_reached");
    assert_string_equal(cpn_err_code(CPN_ERR_NOT_COMBINABLE), "not_combinable");
    assert_string_equal(cpn_err_message_lang(CPN_ERR__COUNT, CPN_LANG_DE),
                        cpn_err_message(CPN_ERR_INTERNAL));
    char buf[64];
    assert_string_equal(counter_amount(500, CPN_LANG_DE, buf, sizeof buf), "5,00 €");
    assert_string_equal(counter_amount(123456, CPN_LANG_EN, buf, sizeof buf), "1234.56 EUR");
    assert_string_equal(counter_amount(-7, CPN_LANG_DE, buf, sizeof buf), "-0,07 €");
}

static void basket_by_vat_is_read_strictly(void **state)
{
    (void)state;
    struct vat_parts p;
    char detail[256], text[128];
    json_t *in = json_loads("{\"v\":{\"2\":2000,\"1\":3000}}", 0, NULL);
    assert_int_equal(vat_parts_read(in, "v", 5000, &p, detail, sizeof detail), 1);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.keys[0], 1);
    assert_int_equal(vat_parts_text(&p, text, sizeof text), 0);
    assert_string_equal(text, "{\"1\":3000,\"2\":2000}");
    json_t *shares = vat_shares_json(&p, 1000);
    assert_int_equal(json_integer_value(json_object_get(shares, "1")), 600);
    json_decref(shares);
    assert_int_equal(vat_parts_read(in, "v", 4999, &p, detail, sizeof detail), -1);
    assert_non_null(strstr(detail, "5000"));
    assert_int_equal(vat_parts_read(in, "w", 4999, &p, detail, sizeof detail), 0);
    json_decref(in);
    static const char *const bad[] = {
        "{\"v\":{\"0\":5}}",   "{\"v\":{\"01\":5}}", "{\"v\":{\"100\":5}}", "{\"v\":{\"1\":-5}}",
        "{\"v\":{\"1\":5.5}}", "{\"v\":{}}",         "{\"v\":[5]}",         "{\"v\":{\"x\":5}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        in = json_loads(bad[i], 0, NULL);
        assert_non_null(in);
        assert_int_equal(vat_parts_read(in, "v", 5, &p, detail, sizeof detail), -1);
        json_decref(in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vat_shares_hold_over_100000_random_baskets_and_offers),
        cmocka_unit_test(vat_shares_follow_the_largest_remainder),
        cmocka_unit_test(a_stackable_10_and_15_percent_on_100_euros_give_23_50),
        cmocka_unit_test(ten_thousand_random_stacks_stay_between_0_and_the_basket),
        cmocka_unit_test(a_receipt_code_reads_back_what_it_says),
        cmocka_unit_test(the_longest_receipt_code_fits_its_buffer),
        cmocka_unit_test(accept_language_picks_german_only_when_preferred),
        cmocka_unit_test(every_error_has_a_german_sentence_and_the_same_code),
        cmocka_unit_test(basket_by_vat_is_read_strictly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
