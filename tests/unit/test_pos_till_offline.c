/* Unit tests for offline acceptance at the till, with no coupon service (nothing listens at
 * https://127.0.0.1:9): a verified signed coupon is accepted within the floor limits with the
 * discount the service would give (percent rounded half up, an amount capped at the basket), and
 * its offline line is on disk before the result; outside the limits (a typed code, an unknown
 * key, the discount, the count, the hours since the last contact, never a contact, offline
 * switched off, a damaged journal) it is refused with a sentence and nothing is accepted; a coupon
 * this till knows to be expired or below its minimum is refused as such; a card earn is accepted
 * offline, a burn never; a call accepted offline that never left the till can be withdrawn, and
 * sync keeps what it could not send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "pos/contact.h"
#include "pos/journal_file.h"
#include "pos/till.h"
#include "coupon/hex.h"
#include "coupon/keys.h"

static char tmpdir[] = "/tmp/test_pos_till_offline.XXXXXX";
static char state_dir[256], keys_path[300], contact_path[300];

static struct cpn_keyring *ring;  /* the "service's" keys: MAC key 1, signing key 1 */
static struct cpn_keyring *other; /* a signing key 2 this till does not have */
static struct pos_config *cfg;
static struct pos_api *api;
static struct pos_till *till;

/* Makes the signed form of a coupon (serial SERIAL, campaign 7) offering KIND VALUE with a
 * minimum of MIN cents, expiring at EXPIRY, signed with KEYS, into TEXT. */
static void coupon(const struct cpn_keyring *keys, uint32_t serial, enum cpn_offer_kind kind,
                   uint32_t value, uint32_t min, uint32_t expiry, char text[CPN_SIGNED_MAX_LEN + 1])
{
    struct cpn_code c;
    assert_int_equal(cpn_code_issue(ring, CPN_KIND_COUPON, serial, &c, NULL), CPN_OK);
    c.campaign = 7;
    c.expiry = expiry;
    c.offer_kind = kind;
    c.offer_value = value;
    c.min_basket_cents = min;
    assert_int_equal(cpn_code_sign(keys, &c, text, CPN_SIGNED_MAX_LEN + 1, NULL), CPN_OK);
}

/* A 10%-off coupon valid until 2099. */
static void percent10(uint32_t serial, char text[CPN_SIGNED_MAX_LEN + 1])
{
    coupon(ring, serial, CPN_OFFER_PERCENT, 10, 0, 4102444799u, text);
}

/* Sets the last contact with the service HOURS ago (a negative value: none at all). */
static void contact(double hours)
{
    unlink(contact_path);
    if (hours < 0)
        return;
    assert_int_equal(pos_contact_touch(state_dir), CPN_OK);
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= (time_t)(hours * 3600);
    tv[1] = tv[0];
    assert_int_equal(utimes(contact_path, tv), 0);
}

/* Writes keys.json with RING's public key 1. */
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
    snprintf(keys_path, sizeof keys_path, "%s/keys.json", state_dir);
    snprintf(contact_path, sizeof contact_path, "%s/" POS_CONTACT_FILE, state_dir);
    uint8_t mac[CPN_MAC_KEY_BYTES], seed[CPN_SIGN_SEED_BYTES];
    for (size_t i = 0; i < sizeof mac; i++)
        mac[i] = (uint8_t)i;
    memset(seed, 7, sizeof seed);
    ring = cpn_keyring_new();
    other = cpn_keyring_new();
    if (ring == NULL || other == NULL || cpn_keyring_add_mac_key(ring, 1, mac) != CPN_OK ||
        cpn_keyring_add_sign_seed(ring, 1, seed) != CPN_OK)
        return -1;
    memset(seed, 9, sizeof seed);
    if (cpn_keyring_add_sign_seed(other, 2, seed) != CPN_OK ||
        curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
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
    cpn_keyring_free(other);
    char rm[400];
    snprintf(rm, sizeof rm, "rm -rf '%s'", tmpdir);
    return system(rm) == 0 ? 0 : -1;
}

/* Before each test: an empty state with the keys, a contact an hour ago, the default limits. */
static int setup(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -m 700 '%s'", state_dir, state_dir);
    if (system(cmd) != 0)
        return -1;
    save_keys();
    contact(1);
    cfg->offline_max_discount_cents = POS_DEFAULT_OFFLINE_MAX_DISCOUNT_CENTS;
    cfg->offline_max_count = POS_DEFAULT_OFFLINE_MAX_COUNT;
    cfg->offline_max_hours = POS_DEFAULT_OFFLINE_MAX_HOURS;
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

/* Returns how many calls accepted offline the journal holds. */
static size_t offline_waiting(void)
{
    struct pos_journal_state s;
    assert_int_equal(pos_journal_load(state_dir, &s), CPN_OK);
    size_t n = s.n_offline;
    pos_journal_state_free(&s);
    return n;
}

/* Redeems CODE for BASKET and asserts that it was refused offline with a line holding WHY. */
static void refused_offline(const char *code, int64_t basket, const char *why)
{
    struct pos_result res;
    pos_till_redeem(till, code, basket, NULL, NULL, &res);
    assert_false(res.offline_accepted);
    assert_int_not_equal(res.exit, POS_EXIT_OK);
    if (strstr(res.line, why) == NULL)
        fail_msg("'%s' does not say '%s'", res.line, why);
}

static void signed_coupon_is_accepted_offline_with_the_services_discount(void **state)
{
    (void)state;
    char text[CPN_SIGNED_MAX_LEN + 1];
    percent10(101, text);
    struct pos_result res;
    pos_till_redeem(till, text, 2345, NULL, NULL, &res); /* 10% of 23.45: 2.345, half up 2.35 */
    assert_int_equal(res.exit, POS_EXIT_OK);
    assert_true(res.offline_accepted);
    assert_false(res.maybe_sent); /* nothing listens: the call never left the till */
    assert_int_equal(res.discount_cents, 235);
    assert_int_equal(res.campaign_id, 7);
    assert_non_null(strstr(res.line, "ACCEPTED OFFLINE: 2.35 EUR off, pay 21.10 EUR (txn T"));
    /* On disk, with what was given, before the result. */
    struct pos_journal_state s;
    assert_int_equal(pos_journal_load(state_dir, &s), CPN_OK);
    assert_int_equal(s.n_offline, 1);
    const struct pos_journal_entry *e = pos_journal_find(&s, res.txn_id);
    assert_non_null(e);
    assert_true(e->offline);
    assert_int_equal(e->discount_cents, 235);
    assert_int_equal(e->campaign_id, 7);
    assert_string_equal(e->offline_at, res.offline_at);
    assert_false(s.damaged);
    pos_journal_state_free(&s);
    /* The same coupon again (another basket, or after a crash): not twice. */
    refused_offline(text, 2345, "This coupon was accepted offline at this till already (txn T");
    /* An amount offer is capped at the basket, as the service does. */
    char amount[CPN_SIGNED_MAX_LEN + 1];
    coupon(ring, 102, CPN_OFFER_AMOUNT, 500, 0, 4102444799u, amount);
    pos_till_redeem(till, amount, 320, NULL, NULL, &res);
    assert_true(res.offline_accepted);
    assert_int_equal(res.discount_cents, 320);
}

static void discount_rounding_matches_the_service(void **state)
{
    (void)state;
    struct cpn_code c = {.offer_kind = CPN_OFFER_PERCENT, .offer_value = 15};
    /* (basket * value + 50) / 100, as discount_for() in sql/functions/0300_coupon_verdict.sql */
    const int64_t baskets[] = {0, 1, 3, 4, 33, 100, 1999, 2345, 99999, 100000000000LL};
    for (size_t i = 0; i < sizeof baskets / sizeof baskets[0]; i++)
        assert_int_equal(pos_till_offline_discount(&c, baskets[i]), (baskets[i] * 15 + 50) / 100);
    c.offer_kind = CPN_OFFER_AMOUNT;
    c.offer_value = 250;
    assert_int_equal(pos_till_offline_discount(&c, 100), 100);
    assert_int_equal(pos_till_offline_discount(&c, 1000), 250);
    c.offer_kind = CPN_OFFER_POINTS;
    assert_int_equal(pos_till_offline_discount(&c, 1000), 0);
    c.offer_kind = CPN_OFFER_PERCENT;
    c.offer_value = 100;
    assert_int_equal(pos_till_offline_discount(&c, INT64_MAX), -1); /* overflow */
}

static void typed_code_and_unknown_key_are_never_redeemed_offline(void **state)
{
    (void)state;
    struct cpn_code c;
    char short_form[CPN_SHORT_LEN + 1], foreign[CPN_SIGNED_MAX_LEN + 1];
    assert_int_equal(cpn_code_issue(ring, CPN_KIND_COUPON, 110, &c, short_form), CPN_OK);
    refused_offline(short_form, 2000,
                    "Not accepted offline: A typed code can only be redeemed "
                    "online: scan the coupon's QR code");
    coupon(other, 111, CPN_OFFER_PERCENT, 10, 0, 4102444799u, foreign);
    refused_offline(foreign, 2000,
                    "signed with key 2, which this till does not have, so it "
                    "cannot be checked offline");
    assert_int_equal(offline_waiting(), 0);
}

static void amount_count_and_hours_limits_refuse_with_a_sentence(void **state)
{
    (void)state;
    char text[CPN_SIGNED_MAX_LEN + 1];
    cfg->offline_max_discount_cents = 1000;
    percent10(120, text);
    refused_offline(text, 10005,
                    "Its discount of 10.01 EUR is above this till's offline limit "
                    "of 10.00 EUR per coupon.");
    struct pos_result res;
    pos_till_redeem(till, text, 10004, NULL, NULL, &res); /* 10.00 EUR: at the limit */
    assert_true(res.offline_accepted);
    cfg->offline_max_count = 3;
    for (uint32_t i = 0; i < 2; i++) {
        percent10(121 + i, text);
        pos_till_redeem(till, text, 1000, NULL, NULL, &res);
        assert_true(res.offline_accepted);
    }
    percent10(124, text);
    refused_offline(text, 1000,
                    "This till has accepted 3 coupons offline already, its limit: "
                    "they must reach the coupon service first.");
    cfg->offline_max_count = 50;
    contact(24.5);
    refused_offline(text, 1000,
                    "This till last reached the coupon service 24 hours ago; it "
                    "accepts coupons offline for 24 hours after that.");
    contact(-1);
    refused_offline(text, 1000, "This till has never reached the coupon service.");
    contact(23.5);
    pos_till_redeem(till, text, 1000, NULL, NULL, &res);
    assert_true(res.offline_accepted);
    assert_int_equal(offline_waiting(), 4);
}

static void zero_switches_offline_off(void **state)
{
    (void)state;
    char text[CPN_SIGNED_MAX_LEN + 1];
    percent10(130, text);
    long *limits[] = {&cfg->offline_max_discount_cents, &cfg->offline_max_count,
                      &cfg->offline_max_hours};
    for (size_t i = 0; i < 3; i++) {
        long keep = *limits[i];
        *limits[i] = 0;
        refused_offline(text, 1000, "Offline redemption is switched off on this till.");
        *limits[i] = keep;
    }
    assert_int_equal(offline_waiting(), 0);
}

static void expired_or_below_minimum_is_refused_as_such(void **state)
{
    (void)state;
    char text[CPN_SIGNED_MAX_LEN + 1];
    coupon(ring, 140, CPN_OFFER_PERCENT, 10, 0, (uint32_t)time(NULL) - 60, text);
    struct pos_result res;
    pos_till_redeem(till, text, 1000, NULL, NULL, &res);
    assert_int_equal(res.exit, POS_EXIT_REFUSED);
    assert_int_equal(res.err, CPN_ERR_EXPIRED);
    coupon(ring, 141, CPN_OFFER_PERCENT, 10, 2000, 4102444799u, text);
    pos_till_redeem(till, text, 1999, NULL, NULL, &res);
    assert_int_equal(res.exit, POS_EXIT_REFUSED);
    assert_string_equal(res.line,
                        "REFUSED: This coupon needs a basket of at least 20.00 EUR (checked "
                        "offline).");
    assert_int_equal(offline_waiting(), 0);
    struct pos_journal_state s; /* nothing left pending either: it never left the till */
    assert_int_equal(pos_journal_load(state_dir, &s), CPN_OK);
    assert_int_equal(s.n_pending, 0);
    pos_journal_state_free(&s);
}

static void damaged_journal_stops_offline_acceptance(void **state)
{
    (void)state;
    char text[CPN_SIGNED_MAX_LEN + 1];
    percent10(150, text);
    struct pos_result res;
    pos_till_redeem(till, text, 1000, NULL, NULL, &res);
    assert_true(res.offline_accepted);
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "sed -i 's/^offline\\t\\([^\\t]*\\)\\t\\([^\\t]*\\)\\t100/offline\\t\\1\\t\\2\\t10/' "
             "'%s/journal.log'",
             state_dir);
    assert_int_equal(system(cmd), 0);
    percent10(151, text);
    refused_offline(text, 1000, "This till's journal is damaged");
    FILE *out = tmpfile();
    assert_non_null(out);
    assert_int_equal(pos_till_sync(till, false, false, out, NULL), POS_EXIT_USAGE);
    rewind(out);
    char line[600] = "";
    assert_non_null(fgets(line, sizeof line, out));
    fclose(out);
    assert_non_null(strstr(line, "NOT SENT: this till's journal is damaged: Entry n=3 (line 3 of "
                                 "the journal) does not match its SHA-256 chain"));
    assert_non_null(strstr(line, "Nothing was sent; its entries stay"));
}

static void earn_is_accepted_offline_and_a_burn_never(void **state)
{
    (void)state;
    struct cpn_code c;
    char card[CPN_SHORT_LEN + 1];
    assert_int_equal(cpn_code_issue(ring, CPN_KIND_CARD, 160, &c, card), CPN_OK);
    struct pos_result res;
    pos_till_card_earn(till, card, 1234, NULL, &res);
    assert_int_equal(res.exit, POS_EXIT_OK);
    assert_true(res.offline_accepted);
    assert_non_null(strstr(res.line, "ACCEPTED OFFLINE: the points for 12.34 EUR are booked on "
                                     "bonus card"));
    pos_till_card_burn(till, card, 100, NULL, &res);
    assert_int_equal(res.exit, POS_EXIT_UNAVAILABLE);
    assert_false(res.offline_accepted);
    assert_non_null(strstr(res.line, "Not accepted offline: Points cannot be burned offline"));
    assert_int_equal(offline_waiting(), 1);
}

static void offline_call_that_never_left_can_be_withdrawn_and_sync_keeps_the_rest(void **state)
{
    (void)state;
    char a[CPN_SIGNED_MAX_LEN + 1], b[CPN_SIGNED_MAX_LEN + 1];
    percent10(170, a);
    percent10(171, b);
    struct pos_result ra, rb, w;
    pos_till_redeem(till, a, 1000, NULL, NULL, &ra);
    pos_till_redeem(till, b, 1000, NULL, NULL, &rb);
    assert_true(ra.offline_accepted && rb.offline_accepted);
    pos_till_withdraw(till, ra.txn_id, &w);
    assert_int_equal(w.exit, POS_EXIT_OK);
    assert_string_equal(w.line, "WITHDRAWN: accepted offline and never sent; nothing is booked");
    pos_till_withdraw(till, ra.txn_id, &w); /* not twice */
    assert_int_equal(w.exit, POS_EXIT_USAGE);
    assert_int_equal(offline_waiting(), 1);
    FILE *out = tmpfile();
    assert_non_null(out);
    size_t sent = 99;
    assert_int_equal(pos_till_sync(till, false, false, out, &sent), POS_EXIT_UNAVAILABLE);
    assert_int_equal(sent, 0);
    fclose(out);
    assert_int_equal(offline_waiting(), 1); /* still there, for the next sync */
    /* The retry of pending calls leaves it to sync. */
    out = tmpfile();
    assert_int_equal(pos_till_retry_all(till, NULL, false, out), POS_EXIT_OK);
    fclose(out);
    assert_int_equal(offline_waiting(), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            signed_coupon_is_accepted_offline_with_the_services_discount, setup, teardown),
        cmocka_unit_test_setup_teardown(discount_rounding_matches_the_service, setup, teardown),
        cmocka_unit_test_setup_teardown(typed_code_and_unknown_key_are_never_redeemed_offline,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(amount_count_and_hours_limits_refuse_with_a_sentence, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(zero_switches_offline_off, setup, teardown),
        cmocka_unit_test_setup_teardown(expired_or_below_minimum_is_refused_as_such, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(damaged_journal_stops_offline_acceptance, setup, teardown),
        cmocka_unit_test_setup_teardown(earn_is_accepted_offline_and_a_burn_never, setup, teardown),
        cmocka_unit_test_setup_teardown(
            offline_call_that_never_left_can_be_withdrawn_and_sync_keeps_the_rest, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
