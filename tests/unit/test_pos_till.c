/* Unit tests for the till's operations without a coupon service: what the till refuses on its
 * own before any call (typos, the wrong kind of code, forged signatures, a personalised coupon
 * without its card), what a check says when the service cannot be reached but the signature
 * holds, and how times, offers and exit statuses are shown (the till's txn ids and retries:
 * test_pos_till_txn.c). The service URL is https://127.0.0.1:9, where nothing listens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "pos/scan.h"
#include "pos/till.h"
#include "coupon/hex.h"
#include "coupon/keys.h"

static char tmpdir[] = "/tmp/test_pos_till.XXXXXX";
static char state_dir[256], journal_path[300], keys_path[300];

static struct cpn_keyring *ring;   /* the "service's" keys: MAC key 1, signing key 1 */
static struct cpn_keyring *forger; /* another signing key that claims id 1 */
static struct pos_config *cfg;
static struct pos_api *api;
static struct pos_till *till;

/* Issues a short form of KIND and SERIAL into CODE (and OUT). */
static void issue(enum cpn_kind kind, uint32_t serial, struct cpn_code *out,
                  char code[CPN_SHORT_LEN + 1])
{
    assert_int_equal(cpn_code_issue(ring, kind, serial, out, code), CPN_OK);
}

/* Makes the signed form of a 10%-off coupon (minimum 20.00 EUR, until 2099-12-31) signed by
 * KEYS into TEXT; BOUND_CARD, when not 0, binds it to that card serial. */
static void signed_coupon(const struct cpn_keyring *keys, uint32_t serial, uint32_t bound_card,
                          char text[CPN_SIGNED_MAX_LEN + 1])
{
    struct cpn_code c;
    char short_form[CPN_SHORT_LEN + 1];
    issue(CPN_KIND_COUPON, serial, &c, short_form);
    c.campaign = 7;
    c.expiry = 4102444799u; /* 2099-12-31T23:59:59Z */
    c.offer_kind = CPN_OFFER_PERCENT;
    c.offer_value = 10;
    c.min_basket_cents = 2000;
    c.bound_to_card = bound_card != 0;
    c.card_serial = bound_card;
    assert_int_equal(cpn_code_sign(keys, &c, text, CPN_SIGNED_MAX_LEN + 1, NULL), CPN_OK);
}

/* Writes keys.json with RING's public key 1, as `pos-client keys` would. */
static void save_keys(void)
{
    uint8_t pub[CPN_PUBLIC_KEY_BYTES];
    char hex[2 * CPN_PUBLIC_KEY_BYTES + 1];
    assert_int_equal(cpn_keyring_public_key(ring, 1, pub), CPN_OK);
    cpn_hex_encode(pub, sizeof pub, hex);
    FILE *f = fopen(keys_path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"url\":\"https://127.0.0.1:9\",\"keys\":[{\"id\":1,\"alg\":\"Ed25519\","
            "\"public_key\":\"%s\"}]}\n",
            hex);
    assert_int_equal(fclose(f), 0);
}

static int group_setup(void **state)
{
    (void)state;
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(state_dir, sizeof state_dir, "%s/state", tmpdir);
    snprintf(journal_path, sizeof journal_path, "%s/journal.log", state_dir);
    snprintf(keys_path, sizeof keys_path, "%s/keys.json", state_dir);
    uint8_t mac[CPN_MAC_KEY_BYTES], seed[CPN_SIGN_SEED_BYTES];
    for (size_t i = 0; i < sizeof mac; i++)
        mac[i] = (uint8_t)i;
    memset(seed, 7, sizeof seed);
    ring = cpn_keyring_new();
    forger = cpn_keyring_new();
    if (ring == NULL || forger == NULL || cpn_keyring_add_mac_key(ring, 1, mac) != CPN_OK ||
        cpn_keyring_add_sign_seed(ring, 1, seed) != CPN_OK)
        return -1;
    memset(seed, 9, sizeof seed);
    if (cpn_keyring_add_mac_key(forger, 1, mac) != CPN_OK ||
        cpn_keyring_add_sign_seed(forger, 1, seed) != CPN_OK)
        return -1;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    cfg = pos_config_new();
    if (cfg == NULL)
        return -1;
    cfg->url = strdup("https://127.0.0.1:9");
    cfg->ca = strdup("/nonexistent/ca.pem");
    cfg->cert = strdup("/nonexistent/terminal.pem");
    cfg->key = strdup("/nonexistent/terminal.key");
    cfg->state_dir = strdup(state_dir);
    cfg->timeout_ms = 2000;
    cfg->connect_timeout_ms = 1000;
    api = pos_api_new(cfg);
    return api != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    pos_api_free(api);
    pos_config_free(cfg);
    curl_global_cleanup();
    cpn_keyring_free(ring);
    cpn_keyring_free(forger);
    unlink(journal_path);
    unlink(keys_path);
    rmdir(state_dir);
    rmdir(tmpdir);
    return 0;
}

/* Before each test: no journal, the service's keys saved, a fresh till. */
static int setup(void **state)
{
    (void)state;
    unlink(journal_path);
    mkdir(state_dir, 0700);
    save_keys();
    till = pos_till_new(cfg, api, false);
    return till != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pos_till_free(till);
    till = NULL;
    return 0;
}

/* Returns true when the journal exists. */
static bool journal_exists(void)
{
    return access(journal_path, F_OK) == 0;
}

/* Writes CODE with one symbol (at I) replaced by another into TYPO. */
static void with_typo(const char *code, size_t i, char typo[CPN_SHORT_LEN + 1])
{
    memcpy(typo, code, CPN_SHORT_LEN + 1);
    typo[i] = typo[i] == 'Z' ? 'Y' : (typo[i] == '9' ? 'A' : (char)(typo[i] + 1));
    if (typo[i] == 'I' || typo[i] == 'L' || typo[i] == 'O' || typo[i] == 'U')
        typo[i]++;
}

/* Asserts that RES is a local refusal starting with PREFIX and holding WANT. */
static void assert_local_refusal(const struct pos_result *res, const char *prefix, const char *want)
{
    assert_int_equal(res->exit, POS_EXIT_REFUSED);
    assert_true(res->local);
    if (strncmp(res->line, prefix, strlen(prefix)) != 0 || strstr(res->line, want) == NULL)
        fail_msg("line '%s' is not '%s...%s'", res->line, prefix, want);
}

static void redeem_with_typo_is_refused_locally_without_any_call(void **state)
{
    (void)state;
    struct cpn_code c;
    char code[CPN_SHORT_LEN + 1], typo[CPN_SHORT_LEN + 1];
    issue(CPN_KIND_COUPON, 77, &c, code);
    with_typo(code, 6, typo);
    unsigned long calls = pos_api_calls(api);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct pos_result res;
    pos_till_redeem(till, typo, 1234, NULL, NULL, &res);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_local_refusal(&res, "REFUSED: ", "The code has a typo");
    assert_int_equal(res.err, CPN_ERR_TYPO);
    assert_string_equal(res.line, "REFUSED: The code has a typo (its check character does not "
                                  "match): please type it again.");
    assert_int_equal(pos_api_calls(api), calls);
    assert_false(journal_exists());
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    assert_true(ms < 100.0);
}

static void check_with_typo_is_refused_locally_without_any_call(void **state)
{
    (void)state;
    struct cpn_code c;
    char code[CPN_SHORT_LEN + 1], typo[CPN_SHORT_LEN + 1];
    issue(CPN_KIND_COUPON, 78, &c, code);
    with_typo(code, 0, typo);
    unsigned long calls = pos_api_calls(api);
    struct pos_result res;
    pos_till_check(till, typo, 0, NULL, &res);
    assert_local_refusal(&res, "NOT VALID: ", "The code has a typo");
    assert_int_equal(pos_api_calls(api), calls);
}

static void not_a_code_is_refused_locally(void **state)
{
    (void)state;
    unsigned long calls = pos_api_calls(api);
    struct pos_result res;
    pos_till_redeem(till, "HELLO-WORLD", 100, NULL, NULL, &res);
    assert_local_refusal(&res, "REFUSED: ", "This is not a coupon code");
    assert_int_equal(res.err, CPN_ERR_MALFORMED_CODE);
    assert_int_equal(pos_api_calls(api), calls);
    assert_false(journal_exists());
}

static void card_typo_is_refused_locally(void **state)
{
    (void)state;
    struct cpn_code c;
    char coupon[CPN_SHORT_LEN + 1], card[CPN_SHORT_LEN + 1], typo[CPN_SHORT_LEN + 1];
    issue(CPN_KIND_COUPON, 79, &c, coupon);
    issue(CPN_KIND_CARD, 5, &c, card);
    with_typo(card, 11, typo);
    unsigned long calls = pos_api_calls(api);
    struct pos_result res;
    pos_till_redeem(till, coupon, 1234, typo, NULL, &res);
    assert_local_refusal(&res, "REFUSED: Bonus card: ", "typo");
    pos_till_card_earn(till, typo, 1234, NULL, &res);
    assert_local_refusal(&res, "REFUSED: ", "typo");
    assert_int_equal(pos_api_calls(api), calls);
    assert_false(journal_exists());
}

static void card_where_a_coupon_belongs_is_refused_locally(void **state)
{
    (void)state;
    struct cpn_code c;
    char coupon[CPN_SHORT_LEN + 1], card[CPN_SHORT_LEN + 1];
    issue(CPN_KIND_COUPON, 80, &c, coupon);
    issue(CPN_KIND_CARD, 6, &c, card);
    unsigned long calls = pos_api_calls(api);
    struct pos_result res;
    pos_till_redeem(till, card, 1234, NULL, NULL, &res);
    assert_local_refusal(&res, "REFUSED: ", "This is a bonus card, not a coupon.");
    pos_till_check(till, card, 0, NULL, &res);
    assert_local_refusal(&res, "NOT VALID: ", "This is a bonus card, not a coupon.");
    pos_till_card_balance(till, coupon, &res);
    assert_local_refusal(&res, "REFUSED: ", "This is a coupon, not a bonus card.");
    pos_till_card_burn(till, coupon, 100, NULL, &res);
    assert_local_refusal(&res, "REFUSED: ", "This is a coupon, not a bonus card.");
    pos_till_redeem(till, coupon, 1234, coupon, NULL, &res);
    assert_local_refusal(&res, "REFUSED: Bonus card: ", "This is a coupon, not a bonus card.");
    assert_int_equal(pos_api_calls(api), calls);
    assert_false(journal_exists());
}

static void forged_signature_is_refused_locally(void **state)
{
    (void)state;
    char forged[CPN_SIGNED_MAX_LEN + 1];
    signed_coupon(forger, 81, 0, forged);
    unsigned long calls = pos_api_calls(api);
    struct pos_result res;
    pos_till_redeem(till, forged, 5000, NULL, NULL, &res);
    assert_local_refusal(&res, "REFUSED: ", cpn_err_message(CPN_ERR_FORGED_CODE));
    assert_int_equal(res.err, CPN_ERR_FORGED_CODE);
    pos_till_check(till, forged, 5000, NULL, &res);
    assert_local_refusal(&res, "NOT VALID: ", cpn_err_message(CPN_ERR_FORGED_CODE));
    assert_int_equal(pos_api_calls(api), calls);
    assert_false(journal_exists());
}

static void personalised_coupon_needs_its_own_card(void **state)
{
    (void)state;
    struct cpn_code c;
    char bound[CPN_SIGNED_MAX_LEN + 1], mine[CPN_SHORT_LEN + 1], other[CPN_SHORT_LEN + 1];
    issue(CPN_KIND_CARD, 4242, &c, mine);
    issue(CPN_KIND_CARD, 4243, &c, other);
    signed_coupon(ring, 82, 4242, bound);
    unsigned long calls = pos_api_calls(api);
    struct pos_result res;
    pos_till_redeem(till, bound, 5000, NULL, NULL, &res);
    assert_local_refusal(&res, "REFUSED: ", cpn_err_message(CPN_ERR_CARD_REQUIRED));
    assert_int_equal(res.err, CPN_ERR_CARD_REQUIRED);
    pos_till_redeem(till, bound, 5000, other, NULL, &res);
    assert_local_refusal(&res, "REFUSED: ", cpn_err_message(CPN_ERR_WRONG_CARD));
    assert_int_equal(pos_api_calls(api), calls);
    /* with its own card it goes to the service (which is not there) */
    pos_till_redeem(till, bound, 5000, mine, NULL, &res);
    assert_int_equal(res.exit, POS_EXIT_UNAVAILABLE);
    assert_int_equal(pos_api_calls(api), calls + 1);
}

static void check_offline_says_what_the_signature_proves(void **state)
{
    (void)state;
    char text[CPN_SIGNED_MAX_LEN + 1];
    signed_coupon(ring, 83, 0, text);
    struct pos_result res;
    pos_till_check(till, text, 2500, NULL, &res);
    assert_int_equal(res.exit, POS_EXIT_UNAVAILABLE);
    assert_true(res.offline);
    assert_string_equal(res.line, "Signature valid (checked offline): 10% off, minimum basket "
                                  "20.00 EUR, valid until 2099-12-31; could not ask the service "
                                  "whether it was already used");
}

static void check_of_a_short_form_unreachable_is_just_unavailable(void **state)
{
    (void)state;
    struct cpn_code c;
    char code[CPN_SHORT_LEN + 1];
    issue(CPN_KIND_COUPON, 84, &c, code);
    struct pos_result res;
    pos_till_check(till, code, 2500, NULL, &res);
    assert_int_equal(res.exit, POS_EXIT_UNAVAILABLE);
    assert_false(res.offline);
    assert_non_null(strstr(res.line, "cannot be reached"));
}

static void rfc3339_times_are_shown_in_local_time(void **state)
{
    (void)state;
    char buf[64];
    setenv("TZ", "UTC", 1);
    tzset();
    assert_true(pos_till_local_time("2026-05-01T12:03:09Z", buf, sizeof buf));
    assert_string_equal(buf, "2026-05-01 12:03");
    assert_true(pos_till_local_time("2026-05-01T12:03:09.123456+02:00", buf, sizeof buf));
    assert_string_equal(buf, "2026-05-01 10:03");
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    assert_true(pos_till_local_time("2026-05-01T12:03:09Z", buf, sizeof buf));
    assert_string_equal(buf, "2026-05-01 14:03");
    assert_true(pos_till_local_time("2026-12-31T23:30:00Z", buf, sizeof buf));
    assert_string_equal(buf, "2027-01-01 00:30");
    assert_false(pos_till_local_time("yesterday", buf, sizeof buf));
    assert_string_equal(buf, "yesterday");
    assert_false(pos_till_local_time("2026-05-01 12:03", buf, sizeof buf));
    assert_false(pos_till_local_time("2026-13-01T12:03:09Z", buf, sizeof buf));
    unsetenv("TZ");
    tzset();
}

static void offers_are_described_for_the_cashier(void **state)
{
    (void)state;
    struct cpn_code c = {
        .kind = CPN_KIND_COUPON, .offer_kind = CPN_OFFER_AMOUNT, .offer_value = 250};
    char buf[POS_DESCRIBE_SIZE];
    assert_string_equal(pos_scan_describe(&c, buf, sizeof buf), "2.50 EUR off");
    c.offer_kind = CPN_OFFER_POINTS;
    c.offer_value = 500;
    c.min_basket_cents = 1000;
    c.expiry = 1781524800; /* 2026-06-15T12:00:00Z */
    assert_string_equal(pos_scan_describe(&c, buf, sizeof buf),
                        "500 bonus points, minimum basket 10.00 EUR, valid until 2026-06-15 "
                        "12:00 UTC");
    c.offer_kind = CPN_OFFER_PERCENT;
    c.offer_value = 15;
    c.min_basket_cents = 0;
    c.expiry = 1798761600; /* 2027-01-01T00:00:00Z: valid through 2026-12-31 */
    c.bound_to_card = true;
    assert_string_equal(pos_scan_describe(&c, buf, sizeof buf),
                        "15% off, valid until 2026-12-31, only with the customer's own bonus "
                        "card");
    assert_true(pos_scan_expired(&c, 1798761600));
    assert_false(pos_scan_expired(&c, 1798761599));
}

static void exit_status_follows_the_kind_of_failure(void **state)
{
    (void)state;
    assert_int_equal(pos_till_exit_for(CPN_ERR_ALREADY_REDEEMED, 409), POS_EXIT_REFUSED);
    assert_int_equal(pos_till_exit_for(CPN_ERR_EXPIRED, 422), POS_EXIT_REFUSED);
    assert_int_equal(pos_till_exit_for(CPN_ERR_UNAUTHORIZED, 401), POS_EXIT_REFUSED);
    assert_int_equal(pos_till_exit_for(CPN_ERR_UNAUTHORIZED, 0), POS_EXIT_REFUSED);
    assert_int_equal(pos_till_exit_for(CPN_ERR_TIMEOUT, 408), POS_EXIT_UNAVAILABLE);
    assert_int_equal(pos_till_exit_for(CPN_ERR_UNAVAILABLE, 429), POS_EXIT_UNAVAILABLE);
    assert_int_equal(pos_till_exit_for(CPN_ERR_UNAVAILABLE, 503), POS_EXIT_UNAVAILABLE);
    assert_int_equal(pos_till_exit_for(CPN_ERR_TIMEOUT, 0), POS_EXIT_UNAVAILABLE);
    assert_int_equal(pos_till_exit_for(CPN_ERR_UNAVAILABLE, 0), POS_EXIT_UNAVAILABLE);
    assert_int_equal(pos_till_exit_for(CPN_ERR_IO, 0), POS_EXIT_USAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(redeem_with_typo_is_refused_locally_without_any_call, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(check_with_typo_is_refused_locally_without_any_call, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(not_a_code_is_refused_locally, setup, teardown),
        cmocka_unit_test_setup_teardown(card_typo_is_refused_locally, setup, teardown),
        cmocka_unit_test_setup_teardown(card_where_a_coupon_belongs_is_refused_locally, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(forged_signature_is_refused_locally, setup, teardown),
        cmocka_unit_test_setup_teardown(personalised_coupon_needs_its_own_card, setup, teardown),
        cmocka_unit_test_setup_teardown(check_offline_says_what_the_signature_proves, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(check_of_a_short_form_unreachable_is_just_unavailable,
                                        setup, teardown),
        cmocka_unit_test(rfc3339_times_are_shown_in_local_time),
        cmocka_unit_test(offers_are_described_for_the_cashier),
        cmocka_unit_test(exit_status_follows_the_kind_of_failure),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
