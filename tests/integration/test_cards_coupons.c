/* Coupons with bonus cards, against a running coupond and PostgreSQL: a personalised coupon
 * redeems only with its card; a points coupon credits its card, and its void takes the points
 * back; a card never issued is not found and earns no coupon points; points offers are capped
 * by the programme's maximum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coupon/code.h"
#include "coupon/keys.h"
#include "itest.h"
#include "itest_cards.h"

/* POSTs a redemption of coupon CODE for a basket of 50.00 with CARD (NULL: none) under TXN as
 * C. Returns the HTTP status; *ANSWER gets the parsed body (caller decrefs). */
static void personalised_coupon_redeems_only_with_its_card(void **state)
{
    (void)state;
    char *mine = itest_card_new(), *other = itest_card_new();
    assert_non_null(mine);
    assert_non_null(other);
    long long campaign = itest_campaign(NULL);
    char extra[96];
    snprintf(extra, sizeof extra, "{\"card\":\"%s\"}", mine);
    json_t *issued = itest_issue(campaign, 1, extra);
    assert_non_null(issued);
    struct itest_client *t = itest_client_new("terminal-1");
    char txn[64];
    json_t *a = NULL;
    itest_txn_id(txn, sizeof txn, "pers", 0);
    assert_int_equal(itest_redeem(t, itest_code(issued, 0), 5000, txn, NULL, &a), 422);
    assert_string_equal(itest_error_code(a), "card_required");
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "pers", 1);
    assert_int_equal(itest_redeem(t, itest_code(issued, 0), 5000, txn, other, &a), 422);
    assert_string_equal(itest_error_code(a), "card_required");
    const char *message = json_string_value(json_object_get(a, "message"));
    fprintf(stderr, "wrong card: %s\n", message);
    assert_non_null(strstr(message, "another bonus card"));
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "pers", 2);
    assert_int_equal(itest_redeem(t, itest_code(issued, 0), 5000, txn, mine, &a), 201);
    assert_int_equal(itest_int_of(a, "discount_cents"), 500);
    json_decref(a);
    itest_client_free(t);
    json_decref(issued);
    free(mine);
    free(other);
}

static void points_coupon_credits_its_card_and_its_void_takes_them_back(void **state)
{
    (void)state;
    char *card = itest_card_new();
    long long campaign =
        itest_campaign("{\"offer\":{\"kind\":\"points\",\"value\":150,\"min_basket_cents\":0}}");
    assert_true(campaign > 0);
    json_t *issued = itest_issue(campaign, 2, NULL);
    assert_non_null(issued);
    struct itest_client *t = itest_client_new("terminal-1"), *m = itest_client_new("marketer");
    char txn[64], path[96], body[96];
    json_t *a = NULL;
    itest_txn_id(txn, sizeof txn, "pts", 0);
    assert_int_equal(itest_redeem(t, itest_code(issued, 0), 5000, txn, card, &a), 201);
    assert_int_equal(itest_int_of(a, "points"), 150);
    long long r1 = itest_int_of(a, "redemption_id");
    json_decref(a);
    /* A replay credits nothing more. */
    assert_int_equal(itest_redeem(t, itest_code(issued, 0), 5000, txn, card, &a), 200);
    json_decref(a);
    assert_int_equal(itest_card_balance(m, card), 150);
    assert_int_equal(itest_card_assert_books(card), 150);
    /* The coupon's points are reversed with its redemption, not on their own. */
    char serial[16];
    itest_card_serial(card, serial, sizeof serial);
    long long credit = itest_sql_number(
        "SELECT id FROM card_transactions WHERE card_serial = $1 AND kind = 'coupon'", serial);
    itest_txn_id(txn, sizeof txn, "pts-direct", 0);
    assert_int_equal(itest_card_void(t, credit, txn, &a), 409);
    fprintf(stderr, "coupon points: %s\n", json_string_value(json_object_get(a, "message")));
    json_decref(a);
    snprintf(path, sizeof path, "/v1/redemptions/%lld/void", r1);
    itest_txn_id(txn, sizeof txn, "pts-void", 0);
    snprintf(body, sizeof body, "{\"txn_id\":\"%s\"}", txn);
    assert_int_equal(itest_request(t, "POST", path, body, &a, NULL), 200);
    json_decref(a);
    assert_int_equal(itest_card_balance(m, card), 0);
    assert_int_equal(itest_card_assert_books(card), 0);
    /* When the credited points were already burned, the redemption's void is refused and
     * nothing changes. */
    itest_txn_id(txn, sizeof txn, "pts", 1);
    assert_int_equal(itest_redeem(t, itest_code(issued, 1), 5000, txn, card, &a), 201);
    long long r2 = itest_int_of(a, "redemption_id");
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "pts-burn", 0);
    assert_int_equal(itest_card_book(t, card, "burn", 100, txn, &a), 201);
    json_decref(a);
    snprintf(path, sizeof path, "/v1/redemptions/%lld/void", r2);
    itest_txn_id(txn, sizeof txn, "pts-void", 1);
    snprintf(body, sizeof body, "{\"txn_id\":\"%s\"}", txn);
    assert_int_equal(itest_request(t, "POST", path, body, &a, NULL), 409);
    json_decref(a);
    char rid[32];
    snprintf(rid, sizeof rid, "%lld", r2);
    assert_int_equal(
        itest_sql_number("SELECT count(*) FROM redemption_voids WHERE redemption_id = $1", rid), 0);
    assert_int_equal(itest_card_assert_books(card), 50);
    itest_client_free(t);
    itest_client_free(m);
    json_decref(issued);
    free(card);
}

/* A card number with a valid MAC (made with the service's own keys) that was never
 * issued: its serial is reserved but no card row exists. */
static void never_issued_card(char out[CPN_SHORT_LEN + 1])
{
    struct cpn_keyring *k = cpn_keyring_new();
    char *dir = itest_source_path("var/keys");
    assert_int_equal(cpn_keyring_load_dir(k, dir), CPN_OK);
    free(dir);
    char key[16];
    snprintf(key, sizeof key, "%u", cpn_keyring_current_mac_id(k));
    long long serial = itest_sql_number("SELECT card_serials_reserve(1, $1::integer)", key);
    assert_true(serial > 0);
    struct cpn_code code;
    assert_int_equal(cpn_code_issue(k, CPN_KIND_CARD, (uint32_t)serial, &code, out), CPN_OK);
    cpn_keyring_free(k);
}

static void a_card_never_issued_is_not_found_and_earns_no_coupon_points(void **state)
{
    (void)state;
    char ghost[CPN_SHORT_LEN + 1];
    never_issued_card(ghost);
    struct itest_client *t = itest_client_new("terminal-1");
    char path[96], txn[64];
    json_t *a = NULL;
    snprintf(path, sizeof path, "/v1/cards/%s", ghost);
    assert_int_equal(itest_request(t, "GET", path, NULL, &a, NULL), 404);
    assert_string_equal(itest_error_code(a), "not_found");
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "ghost", 0);
    assert_int_equal(itest_card_book(t, ghost, "earn", 5000, txn, &a), 404);
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "ghost", 1);
    assert_int_equal(itest_card_book(t, ghost, "burn", 5, txn, &a), 404);
    json_decref(a);
    /* A points coupon needs a card of ours to credit; without any card it still redeems. */
    long long campaign =
        itest_campaign("{\"offer\":{\"kind\":\"points\",\"value\":20,\"min_basket_cents\":0}}");
    json_t *issued = itest_issue(campaign, 1, NULL);
    assert_non_null(issued);
    itest_txn_id(txn, sizeof txn, "ghost", 2);
    assert_int_equal(itest_redeem(t, itest_code(issued, 0), 5000, txn, ghost, &a), 422);
    assert_string_equal(itest_error_code(a), "card_required");
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "ghost", 3);
    assert_int_equal(itest_redeem(t, itest_code(issued, 0), 5000, txn, NULL, &a), 201);
    assert_int_equal(itest_int_of(a, "points"), 20);
    json_decref(a);
    json_decref(issued);
    itest_client_free(t);
}

/* Creates a campaign whose offer is OFFER_JSON as the marketer; returns the status, *A the
 * answer. */
static long create_offer(struct itest_client *m, const char *offer_json, json_t **a)
{
    char body[400];
    snprintf(body, sizeof body,
             "{\"name\":\"points cap\",\"channel\":\"app\",\"cost_cents\":0,\"starts_at\":"
             "\"2020-01-01T00:00:00Z\",\"ends_at\":\"2099-01-01T00:00:00Z\",\"offer\":%s}",
             offer_json);
    return itest_request(m, "POST", "/v1/campaigns", body, a, NULL);
}

static void points_offers_are_capped_by_the_programme_maximum(void **state)
{
    (void)state;
    struct itest_client *m = itest_client_new("marketer"), *t = itest_client_new("terminal-1");
    json_t *a = NULL;
    /* What the signed form could carry is far above any programme's maximum. */
    assert_int_equal(create_offer(m, "{\"kind\":\"points\",\"value\":4294967295}", &a), 400);
    json_decref(a);
    long long max = itest_sql_number("SELECT max_offer_points FROM card_programme", NULL);
    assert_true(max >= 1);
    char offer[96];
    /* Above the maximum: 400 with a sentence that says what the maximum is. */
    const long long too_many[] = {max + 1, 4294967295LL};
    for (size_t i = 0; i < 2; i++) {
        snprintf(offer, sizeof offer, "{\"kind\":\"points\",\"value\":%lld}", too_many[i]);
        assert_int_equal(create_offer(m, offer, &a), 400);
        assert_string_equal(itest_error_code(a), "bad_request");
        const char *message = json_string_value(json_object_get(a, "message"));
        fprintf(stderr, "points %lld: %s\n", too_many[i], message);
        char says[64];
        snprintf(says, sizeof says, "at most %lld points", max);
        assert_non_null(strstr(message, says));
        json_decref(a);
    }
    /* At the maximum: created. */
    snprintf(offer, sizeof offer, "{\"kind\":\"points\",\"value\":%lld}", max);
    assert_int_equal(create_offer(m, offer, &a), 201);
    json_decref(a);
    /* A multiplying offer on a huge basket credits no more than the maximum either. */
    assert_int_equal(create_offer(m, "{\"kind\":\"points\",\"value\":10,\"multiply\":true}", &a),
                     201);
    long long campaign = itest_int_of(a, "id");
    json_decref(a);
    json_t *issued = itest_issue(campaign, 1, NULL);
    assert_non_null(issued);
    char *card = itest_card_new();
    json_t *body = json_pack("{s:s, s:I, s:s, s:s}", "code", itest_code(issued, 0), "basket_cents",
                             (json_int_t)100000000000LL, "card", card, "txn_id", "");
    char txn[64];
    itest_txn_id(txn, sizeof txn, "cap", 0);
    json_object_set_new(body, "txn_id", json_string(txn));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    assert_int_equal(itest_request(t, "POST", "/v1/redemptions", text, &a, NULL), 201);
    free(text);
    assert_int_equal(itest_int_of(a, "points"), max);
    json_decref(a);
    assert_int_equal(itest_card_assert_books(card), max);
    free(card);
    json_decref(issued);
    itest_client_free(m);
    itest_client_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(personalised_coupon_redeems_only_with_its_card),
        cmocka_unit_test(points_coupon_credits_its_card_and_its_void_takes_them_back),
        cmocka_unit_test(a_card_never_issued_is_not_found_and_earns_no_coupon_points),
        cmocka_unit_test(points_offers_are_capped_by_the_programme_maximum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
