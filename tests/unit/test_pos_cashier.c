/* Unit tests for the cashier mode's line classifier: what a keyboard-wedge scanner or a cashier
 * types — a bonus card, a coupon in either form, a typo, an amount, a command — and what the till
 * takes it for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pos/cashier.h"
#include "coupon/keys.h"

static const char ALPHABET[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static struct cpn_keyring *ring;
static char coupon[CPN_SHORT_LEN + 1], card[CPN_SHORT_LEN + 1];
static char coupon_signed[CPN_SIGNED_MAX_LEN + 1];

/* Once: a keyring with a MAC key and a signing key, a coupon and a card in short form, and the
 * coupon's signed form (10% off). */
static int group_setup(void **state)
{
    (void)state;
    uint8_t mac[CPN_MAC_KEY_BYTES], seed[CPN_SIGN_SEED_BYTES];
    for (size_t i = 0; i < sizeof mac; i++)
        mac[i] = (uint8_t)i;
    memset(seed, 7, sizeof seed);
    ring = cpn_keyring_new();
    if (ring == NULL || cpn_keyring_add_mac_key(ring, 1, mac) != CPN_OK ||
        cpn_keyring_add_sign_seed(ring, 1, seed) != CPN_OK)
        return -1;
    struct cpn_code c;
    if (cpn_code_issue(ring, CPN_KIND_CARD, 4242, &c, card) != CPN_OK ||
        cpn_code_issue(ring, CPN_KIND_COUPON, 1001, &c, coupon) != CPN_OK)
        return -1;
    c.campaign = 7;
    c.expiry = 1798761599; /* 2026-12-31T23:59:59Z */
    c.offer_kind = CPN_OFFER_PERCENT;
    c.offer_value = 10;
    return cpn_code_sign(ring, &c, coupon_signed, sizeof coupon_signed, NULL) == CPN_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    cpn_keyring_free(ring);
    return 0;
}

/* Classifies LINE and returns its kind. */
static enum pos_line_kind kind_of(const char *line, struct pos_line *l)
{
    pos_cashier_classify(line, l);
    return l->kind;
}

static void blank_lines_are_ignored(void **state)
{
    (void)state;
    struct pos_line l;
    assert_int_equal(kind_of("", &l), POS_LINE_EMPTY);
    assert_int_equal(kind_of("\n", &l), POS_LINE_EMPTY);
    assert_int_equal(kind_of("  \t \r\n", &l), POS_LINE_EMPTY);
}

static void command_words_are_recognised_in_any_case(void **state)
{
    (void)state;
    struct pos_line l;
    assert_int_equal(kind_of("help\n", &l), POS_LINE_HELP);
    assert_int_equal(kind_of("?", &l), POS_LINE_HELP);
    assert_int_equal(kind_of("quit\r\n", &l), POS_LINE_QUIT);
    assert_int_equal(kind_of("EXIT", &l), POS_LINE_QUIT);
    assert_int_equal(kind_of("cancel", &l), POS_LINE_CANCEL);
    assert_int_equal(kind_of(" Pay ", &l), POS_LINE_PAY);
    assert_int_equal(kind_of("done", &l), POS_LINE_PAY);
    assert_int_equal(kind_of("Retry", &l), POS_LINE_RETRY);
}

static void total_with_or_without_the_word_sets_the_basket(void **state)
{
    (void)state;
    struct pos_line l;
    assert_int_equal(kind_of("total 12.34\n", &l), POS_LINE_TOTAL);
    assert_int_equal(l.amount, 1234);
    assert_int_equal(kind_of("TOTAL   12,5", &l), POS_LINE_TOTAL);
    assert_int_equal(l.amount, 1250);
    assert_int_equal(kind_of("12.34", &l), POS_LINE_TOTAL);
    assert_int_equal(l.amount, 1234);
    assert_int_equal(kind_of("  9,99 \r\n", &l), POS_LINE_TOTAL);
    assert_int_equal(l.amount, 999);
    assert_int_equal(kind_of("12", &l), POS_LINE_TOTAL);
    assert_int_equal(l.amount, 1200);
}

static void bad_amounts_are_named_as_such(void **state)
{
    (void)state;
    struct pos_line l;
    const char *bad[] = {"total",  "total x",  "total -1", "total 12.345",
                         "12.345", "1.234,56", "12."};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (kind_of(bad[i], &l) != POS_LINE_BAD_NUMBER)
            fail_msg("'%s' is kind %d, not BAD_NUMBER", bad[i], (int)l.kind);
        assert_non_null(strstr(l.why, "12.34"));
    }
}

static void burn_takes_a_whole_number_of_points(void **state)
{
    (void)state;
    struct pos_line l;
    assert_int_equal(kind_of("burn 500", &l), POS_LINE_BURN);
    assert_int_equal(l.amount, 500);
    assert_int_equal(kind_of("BURN 1", &l), POS_LINE_BURN);
    assert_int_equal(l.amount, 1);
    assert_int_equal(kind_of("burn", &l), POS_LINE_BAD_NUMBER);
    assert_int_equal(kind_of("burn 0", &l), POS_LINE_BURN); /* drops the points to burn */
    assert_int_equal(l.amount, 0);
    assert_int_equal(kind_of("burn 00", &l), POS_LINE_BAD_NUMBER);
    assert_int_equal(kind_of("burn 5.5", &l), POS_LINE_BAD_NUMBER);
    assert_int_equal(kind_of("burn all", &l), POS_LINE_BAD_NUMBER);
    assert_non_null(strstr(l.why, "burn 500"));
}

static void short_coupon_code_is_a_coupon_however_typed(void **state)
{
    (void)state;
    struct pos_line l;
    char typed[64];
    assert_int_equal(kind_of(coupon, &l), POS_LINE_COUPON);
    assert_string_equal(l.scan.short_form, coupon);
    assert_string_equal(l.scan.text, coupon);
    /* lower case, no dashes, spaces between groups, a newline from the scanner */
    snprintf(typed, sizeof typed, "%.4s%.4s%.4s%.4s\n", coupon, coupon + 5, coupon + 10,
             coupon + 15);
    for (char *p = typed; *p != '\0'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    assert_int_equal(kind_of(typed, &l), POS_LINE_COUPON);
    assert_string_equal(l.scan.short_form, coupon);
    snprintf(typed, sizeof typed, "%.4s %.4s %.4s %.4s", coupon, coupon + 5, coupon + 10,
             coupon + 15);
    assert_int_equal(kind_of(typed, &l), POS_LINE_COUPON);
    assert_string_equal(l.scan.short_form, coupon);
}

static void bonus_card_code_is_a_card(void **state)
{
    (void)state;
    struct pos_line l;
    assert_int_equal(kind_of(card, &l), POS_LINE_CARD);
    assert_string_equal(l.scan.short_form, card);
    assert_int_equal(l.scan.code.serial, 4242);
}

static void signed_form_from_the_qr_code_is_a_coupon(void **state)
{
    (void)state;
    struct pos_line l;
    char line[CPN_SIGNED_MAX_LEN + 8];
    snprintf(line, sizeof line, "%s\r\n", coupon_signed);
    assert_int_equal(kind_of(line, &l), POS_LINE_COUPON);
    assert_true(l.scan.code.is_signed);
    assert_string_equal(l.scan.text, coupon_signed);
    assert_string_equal(l.scan.short_form, coupon);
    assert_int_equal(l.scan.code.campaign, 7);
}

/* Returns the symbol after C in the alphabet (wrapping), a different symbol. */
static char other_symbol(char c)
{
    const char *p = strchr(ALPHABET, c);
    return p[1] != '\0' ? p[1] : ALPHABET[0];
}

static void every_single_symbol_typo_is_caught(void **state)
{
    (void)state;
    struct pos_line l;
    for (size_t i = 0; i < CPN_SHORT_LEN; i++) {
        if (coupon[i] == '-')
            continue;
        char typo[CPN_SHORT_LEN + 1];
        memcpy(typo, coupon, sizeof typo);
        typo[i] = other_symbol(typo[i]);
        if (kind_of(typo, &l) != POS_LINE_BAD_CODE || l.err != CPN_ERR_TYPO)
            fail_msg("'%s' is kind %d, err %d: not a typo", typo, (int)l.kind, (int)l.err);
        assert_non_null(strstr(l.why, "typo"));
    }
}

static void adjacent_transposition_is_caught(void **state)
{
    (void)state;
    struct pos_line l;
    char compact[CPN_SHORT_SYMBOLS + 1];
    size_t n = 0;
    for (const char *p = coupon; *p != '\0'; p++)
        if (*p != '-')
            compact[n++] = *p;
    compact[n] = '\0';
    for (size_t i = 0; i + 1 < n; i++) {
        if (compact[i] == compact[i + 1])
            continue;
        char swapped[CPN_SHORT_SYMBOLS + 1];
        memcpy(swapped, compact, sizeof swapped);
        swapped[i] = compact[i + 1];
        swapped[i + 1] = compact[i];
        assert_int_equal(kind_of(swapped, &l), POS_LINE_BAD_CODE);
        assert_int_equal(l.err, CPN_ERR_TYPO);
    }
}

static void a_missing_symbol_is_not_a_code(void **state)
{
    (void)state;
    struct pos_line l;
    char shorter[CPN_SHORT_LEN + 1];
    memcpy(shorter, coupon, sizeof shorter);
    shorter[CPN_SHORT_LEN - 1] = '\0';
    assert_int_equal(kind_of(shorter, &l), POS_LINE_BAD_CODE);
    assert_int_equal(l.err, CPN_ERR_MALFORMED_CODE);
    assert_string_equal(l.why, cpn_err_message(CPN_ERR_MALFORMED_CODE));
    /* half a QR scan */
    char half[80];
    snprintf(half, sizeof half, "%.70s", coupon_signed);
    assert_int_equal(kind_of(half, &l), POS_LINE_BAD_CODE);
}

static void unknown_words_ask_for_help(void **state)
{
    (void)state;
    struct pos_line l;
    assert_int_equal(kind_of("hello", &l), POS_LINE_UNKNOWN);
    assert_int_equal(kind_of("pay now", &l), POS_LINE_UNKNOWN);
    assert_int_equal(kind_of("payy", &l), POS_LINE_UNKNOWN);
    assert_non_null(strstr(l.why, "help"));
}

static void an_overlong_line_is_not_a_code(void **state)
{
    (void)state;
    struct pos_line l;
    static char line[POS_CASHIER_LINE_MAX + 10];
    memset(line, 'A', sizeof line - 1);
    line[sizeof line - 1] = '\0';
    assert_int_equal(kind_of(line, &l), POS_LINE_BAD_CODE);
    assert_int_equal(l.err, CPN_ERR_MALFORMED_CODE);
}

static void a_receipt_code_is_told_from_coupons_and_cards(void **state)
{
    (void)state;
    struct pos_line l;
    assert_int_equal(kind_of("  rc0g4000005s9q2r8h4xj3-tman7d0w6e1zk5b8c2v9 ", &l),
                     POS_LINE_RECEIPT);
    assert_string_equal(l.receipt, "RC0G4000005S9Q2R8H4XJ3TMAN7D0W6E1ZK5B8C2V9");
    assert_int_equal(kind_of("RC12", &l), POS_LINE_BAD_CODE); /* too short to be one */
    assert_int_equal(kind_of("RC0G4000005S9Q2R8H4XJ3TMAN7D0W6E1ZK5B8C2V9!", &l), POS_LINE_BAD_CODE);
    assert_int_equal(kind_of(coupon, &l), POS_LINE_COUPON);
    char out[POS_RECEIPT_CODE_SIZE];
    assert_false(pos_receipt_code_read("XC0G4000005S9Q2R8H4XJ3TMAN7D0W6E1ZK5B8C2V9", out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blank_lines_are_ignored),
        cmocka_unit_test(command_words_are_recognised_in_any_case),
        cmocka_unit_test(total_with_or_without_the_word_sets_the_basket),
        cmocka_unit_test(bad_amounts_are_named_as_such),
        cmocka_unit_test(burn_takes_a_whole_number_of_points),
        cmocka_unit_test(short_coupon_code_is_a_coupon_however_typed),
        cmocka_unit_test(bonus_card_code_is_a_card),
        cmocka_unit_test(signed_form_from_the_qr_code_is_a_coupon),
        cmocka_unit_test(every_single_symbol_typo_is_caught),
        cmocka_unit_test(adjacent_transposition_is_caught),
        cmocka_unit_test(a_missing_symbol_is_not_a_code),
        cmocka_unit_test(unknown_words_ask_for_help),
        cmocka_unit_test(an_overlong_line_is_not_a_code),
        cmocka_unit_test(a_receipt_code_is_told_from_coupons_and_cards),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
