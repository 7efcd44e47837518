/* The signed form (the QR code's text) at the service: it is only as good as its Ed25519
 * signature. A signed form whose payload or signature bytes were altered, or that names a key
 * the service does not hold, is forged_code in POST /v1/checks, POST /v1/redemptions and a
 * card earn, exactly as pos-client judges it offline, and changes nothing; the genuine text
 * still works afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "coupon/code.h"
#include "itest.h"
#include "itest_cards.h"

/* The signed form of the I-th coupon of an issue answer. */
static const char *signed_of(const json_t *issued, size_t i)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(issued, "coupons"), i), "signed"));
}

/* Parses the signed form TEXT into *CODE (the test fails if it does not parse). */
static void parse(const char *text, struct cpn_code *code)
{
    assert_non_null(text);
    assert_int_equal(cpn_code_parse(text, strlen(text), code), CPN_OK);
    assert_true(code->is_signed);
}

/* Writes CODE (altered, signature kept as it is) as signed-form text into OUT. */
static void format(const struct cpn_code *code, char out[CPN_SIGNED_MAX_LEN + 1])
{
    assert_int_equal(cpn_code_format_signed(code, out, CPN_SIGNED_MAX_LEN + 1, NULL), CPN_OK);
}

/* POSTs /v1/checks {code: TEXT, basket_cents: 5000} and expects valid:false forged_code. */
static void check_is_forged(struct itest_client *t, const char *text)
{
    json_t *body = json_pack("{s:s, s:i}", "code", text, "basket_cents", 5000);
    char *b = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    json_t *a = NULL;
    assert_int_equal(itest_request(t, "POST", "/v1/checks", b, &a, NULL), 200);
    free(b);
    if (!json_is_false(json_object_get(a, "valid")))
        fprintf(stderr, "a forged signed form was valid: %s\n", text);
    assert_true(json_is_false(json_object_get(a, "valid")));
    assert_string_equal(json_string_value(json_object_get(a, "reason")), "forged_code");
    assert_int_equal(json_integer_value(json_object_get(a, "discount_cents")), 0);
    json_decref(a);
}

/* POSTs /v1/redemptions with TEXT under a new txn_id; returns the status, *A the answer. */
static void redeem_is_forged(struct itest_client *t, const char *text, int n)
{
    char txn[64];
    itest_txn_id(txn, sizeof txn, "signed-forged", n);
    json_t *a = NULL;
    long status = itest_redeem(t, text, 5000, txn, NULL, &a);
    if (status != 422)
        fprintf(stderr, "a forged signed form was answered %ld %s\n", status, itest_error_code(a));
    assert_int_equal(status, 422);
    assert_string_equal(itest_error_code(a), "forged_code");
    json_decref(a);
}

static void altered_signed_coupon_is_forged_in_checks_and_redemptions(void **state)
{
    (void)state;
    long long campaign = itest_campaign("{\"offer\":{\"kind\":\"amount\",\"value\":100}}");
    json_t *issued = itest_issue(campaign, 1, NULL);
    assert_non_null(issued);
    const char *genuine = signed_of(issued, 0);
    struct cpn_code code, altered;
    parse(genuine, &code);
    char text[CPN_SIGNED_MAX_LEN + 1];
    struct itest_client *t = itest_client_new("terminal-1");

    /* The payload: 100 cents off become 10000 (the short form inside, and so its MAC, is
     * untouched: only the signature can tell). */
    altered = code;
    altered.offer_value = 10000;
    format(&altered, text);
    check_is_forged(t, text);
    redeem_is_forged(t, text, 0);
    /* The payload: another campaign, another expiry. */
    altered = code;
    altered.campaign ^= 1;
    altered.expiry = 0;
    format(&altered, text);
    check_is_forged(t, text);
    redeem_is_forged(t, text, 1);
    /* The signature: one bit, and one symbol of the text as a misread would change it. */
    altered = code;
    altered.signature[17] ^= 0x20;
    format(&altered, text);
    check_is_forged(t, text);
    redeem_is_forged(t, text, 2);
    snprintf(text, sizeof text, "%s", genuine);
    size_t at = strlen(text) - 40; /* well inside the signature */
    text[at] = text[at] == 'Q' ? 'R' : 'Q';
    check_is_forged(t, text);
    redeem_is_forged(t, text, 3);
    /* A key id the service does not hold. */
    altered = code;
    altered.sign_key_id = 254;
    format(&altered, text);
    check_is_forged(t, text);
    redeem_is_forged(t, text, 4);

    /* None of that redeemed anything: the genuine text redeems now, once. */
    char cid[32];
    snprintf(cid, sizeof cid, "%lld", campaign);
    assert_int_equal(
        itest_sql_number("SELECT count(*) FROM redemptions WHERE campaign_id = $1", cid), 0);
    json_t *a = NULL;
    char txn[64];
    itest_txn_id(txn, sizeof txn, "signed-genuine", 0);
    assert_int_equal(itest_redeem(t, genuine, 5000, txn, NULL, &a), 201);
    assert_int_equal(json_integer_value(json_object_get(a, "discount_cents")), 100);
    json_decref(a);
    itest_client_free(t);
    json_decref(issued);
}

static void altered_signed_card_is_forged_for_earn_and_balance(void **state)
{
    (void)state;
    struct itest_client *m = itest_client_new("marketer"), *t = itest_client_new("terminal-1");
    json_t *card = NULL;
    assert_int_equal(itest_request(m, "POST", "/v1/cards", "{}", &card, NULL), 201);
    const char *genuine = json_string_value(json_object_get(card, "signed"));
    struct cpn_code code;
    parse(genuine, &code);
    code.signature[40] ^= 0x01;
    char text[CPN_SIGNED_MAX_LEN + 1], path[256], txn[64];
    format(&code, text);
    json_t *a = NULL;
    snprintf(path, sizeof path, "/v1/cards/%s", text);
    assert_int_equal(itest_request(t, "GET", path, NULL, &a, NULL), 422);
    assert_string_equal(itest_error_code(a), "forged_code");
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "signed-card", 0);
    assert_int_equal(itest_card_book(t, text, "earn", 5000, txn, &a), 422);
    assert_string_equal(itest_error_code(a), "forged_code");
    json_decref(a);
    /* The genuine card earns. */
    itest_txn_id(txn, sizeof txn, "signed-card", 1);
    assert_int_equal(itest_card_book(t, genuine, "earn", 5000, txn, &a), 201);
    assert_int_equal(itest_int_of(a, "balance"), 50);
    json_decref(a);
    json_decref(card);
    itest_client_free(m);
    itest_client_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(altered_signed_coupon_is_forged_in_checks_and_redemptions),
        cmocka_unit_test(altered_signed_card_is_forged_for_earn_and_balance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
