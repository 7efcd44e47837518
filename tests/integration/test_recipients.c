/* Recipient lists with a holdout against a running coupond: 10,000 cards at 10 % hold out
 * exactly 1,000, the very cards an independent recomputation of the keyed draw picks, none of
 * them with a coupon, the same 1,000 on a re-upload (JSON or CSV); the lift of 720 of 9,000
 * mailed cards against 30 of 1,000 held out (8.00 % vs 3.00 %, +5.00 pp); bad lists are refused
 * and change nothing. */
#include <math.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest_analytics.h"

/* Yesterday as a local date: an in-home date whose response window holds now. */
static char *yesterday(void)
{
    return itest_sql_text("SELECT to_char((now() AT TIME ZONE local_tz())::date - 1, 'YYYY-MM-DD')",
                          0, NULL);
}

static long long mailing(const char *in_home)
{
    char fields[256];
    snprintf(fields, sizeof fields,
             "{\"name\":\"itest mailing\",\"cost_cents\":90000,\"in_home_date\":\"%s\","
             "\"gross_margin_pct\":40}",
             in_home);
    return itest_campaign(fields);
}

/* {"cards": [the N cards from FIRST, every STEP-th first when SHUFFLE], "holdout_pct": PCT} */
static char *list_body(const struct itest_cards *c, size_t first, size_t n, const char *pct,
                       bool shuffle)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        size_t k = shuffle ? (i * 7919) % n : i; /* 7919 is prime to 10,000: a permutation */
        json_array_append_new(arr, json_string(c->numbers[first + k]));
    }
    json_t *body = json_pack("{s:o}", "cards", arr);
    json_object_set_new(body, "holdout_pct", json_loads(pct, JSON_DECODE_ANY, NULL));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

static char *sql1(const char *sql, long long campaign)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", campaign);
    const char *p[] = {id};
    return itest_sql_text(sql, 1, p);
}

static long long num1(const char *sql, long long campaign)
{
    char *t = sql1(sql, campaign);
    long long v = t != NULL ? strtoll(t, NULL, 10) : -1;
    free(t);
    return v;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_u64pair(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) : (x[1] < y[1] ? -1 : x[1] > y[1]);
}

/* The held-out cards as the draw defines them, recomputed here from the campaign's key: the
 * K cards with the smallest SipHash-2-4 of their serial (big-endian), ties by serial, as a
 * sorted comma-separated list. */
static char *expected_holdout(long long campaign, const struct itest_cards *c, size_t k)
{
    char *hex =
        sql1("SELECT encode(holdout_key, 'hex') FROM campaigns WHERE id = $1::bigint", campaign);
    assert_non_null(hex);
    uint8_t key[16];
    for (int i = 0; i < 16; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        key[i] = (uint8_t)v;
    }
    free(hex);
    uint64_t(*r)[2] = calloc(c->n, sizeof *r);
    for (size_t i = 0; i < c->n; i++) {
        uint32_t s = c->serials[i];
        uint8_t msg[4] = {(uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s};
        uint8_t h[8];
        crypto_shorthash_siphash24(h, msg, 4, key);
        uint64_t v = 0;
        for (int b = 0; b < 8; b++)
            v = v << 8 | h[b];
        r[i][0] = v;
        r[i][1] = s;
    }
    qsort(r, c->n, sizeof *r, cmp_u64pair);
    uint32_t *held = calloc(k, sizeof *held);
    for (size_t i = 0; i < k; i++)
        held[i] = (uint32_t)r[i][1];
    free(r);
    /* sorted by serial: the serials were made ascending, so sort the K picked */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && held[j - 1] > held[j]; j--) {
            uint32_t t = held[j];
            held[j] = held[j - 1];
            held[j - 1] = t;
        }
    char *out = malloc(k * 12 + 1);
    size_t pos = 0;
    out[0] = '\0';
    for (size_t i = 0; i < k; i++)
        pos += (size_t)snprintf(out + pos, k * 12 + 1 - pos, "%s%u", i ? "," : "", held[i]);
    free(held);
    return out;
}

static const char holdout_sql[] =
    "SELECT coalesce(string_agg(card_serial::text, ',' ORDER BY card_serial), '')"
    "  FROM recipient_holdout WHERE campaign_id = $1::bigint";

static void check_answer(const json_t *a, long long recipients, long long mailed, long long held)
{
    assert_int_equal(json_integer_value(json_object_get(a, "recipients")), recipients);
    assert_int_equal(json_integer_value(json_object_get(a, "mailed")), mailed);
    assert_int_equal(json_integer_value(json_object_get(a, "holdout")), held);
    assert_int_equal(json_integer_value(json_object_get(a, "issued")), mailed);
}

/* Earns of 10.00 EUR on cards SERIALS[0..N), DAYS_AGO days ago, written straight into the
 * ledger (points 0, so no balance changes). */
static void earns(const uint32_t *serials, size_t n, const char *days_ago, const char *tag)
{
    char *arr = malloc(n * 12 + 3);
    size_t pos = (size_t)snprintf(arr, 3, "{");
    for (size_t i = 0; i < n; i++)
        pos += (size_t)snprintf(arr + pos, n * 12 + 3 - pos, "%s%u", i ? "," : "", serials[i]);
    snprintf(arr + pos, n * 12 + 3 - pos, "}");
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    const char *p[] = {arr, days_ago, tag, pid};
    assert_int_equal(
        itest_sql_exec(
            "INSERT INTO card_transactions (card_serial, kind, points, balance_after,"
            " basket_cents, store_id, terminal, txn_id, created_at)"
            " SELECT s, 'earn', 0, 0, 1000, 1, '1/itest', $3 || '-' || $4 || '-' || s,"
            "        now() - make_interval(days => $2::integer) FROM unnest($1::bigint[]) s",
            4, p),
        0);
    free(arr);
}

static void holdout_draws_exactly_the_same_thousand_and_measures_the_lift(void **state)
{
    (void)state;
    struct itest_cards cards;
    assert_int_equal(itest_cards_make(10000, &cards), 0);
    char *in_home = yesterday();
    long long campaign = mailing(in_home);
    assert_true(campaign > 0);
    char path[96];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/recipients", campaign);
    char *body = list_body(&cards, 0, cards.n, "10", false);
    json_t *a = NULL;
    assert_int_equal(itest_call("marketer", "POST", path, body, &a), 201);
    check_answer(a, 10000, 9000, 1000);
    json_decref(a);
    free(body);

    /* Exactly round(10,000 x 10 / 100) held out: the cards the keyed draw picks. */
    char *held = sql1(holdout_sql, campaign);
    char *want = expected_holdout(campaign, &cards, 1000);
    assert_string_equal(held, want);
    free(want);
    /* No held-out card has a coupon; every mailed card has exactly one, bound to it. */
    /* (The held-out cards are read once, then the coupons are scanned once: as a join, a
     * planner that expects one held-out row of a new campaign may scan all coupons once per
     * held-out card, minutes in a test database holding millions of coupons.) */
    assert_int_equal(num1("SELECT count(*) FROM coupons c WHERE c.campaign_id = $1::bigint"
                          " AND c.card_serial = ANY (ARRAY(SELECT h.card_serial"
                          "  FROM recipient_holdout h WHERE h.campaign_id = $1::bigint))",
                          campaign),
                     0);
    assert_int_equal(num1("SELECT count(DISTINCT card_serial) FROM coupons"
                          " WHERE campaign_id = $1::bigint AND card_serial IS NOT NULL",
                          campaign),
                     9000);
    assert_int_equal(num1("SELECT count(*) FROM coupons WHERE campaign_id = $1::bigint", campaign),
                     9000);

    /* The same list again, in another order: the same answer, nothing new. */
    body = list_body(&cards, 0, cards.n, "10", true);
    assert_int_equal(itest_call("marketer", "POST", path, body, &a), 200);
    check_answer(a, 10000, 9000, 1000);
    json_decref(a);
    free(body);
    char *again = sql1(holdout_sql, campaign);
    assert_string_equal(again, held);
    free(again);
    assert_int_equal(num1("SELECT count(*) FROM coupons WHERE campaign_id = $1::bigint", campaign),
                     9000);
    /* ... and as CSV (header, CRLF line ends, a byte order mark). */
    char csv_path[] = "/tmp/itest-recipients-XXXXXX";
    int fd = mkstemp(csv_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("\xEF\xBB\xBF"
          "card;name\r\n",
          f);
    for (size_t i = 0; i < cards.n; i++)
        fprintf(f, "%s;x\r\n", cards.numbers[cards.n - 1 - i]);
    fclose(f);
    char cmd[1024];
    const char *src = getenv("COUPOND_SOURCE_DIR");
    snprintf(cmd, sizeof cmd,
             "test \"$(curl -s -o /dev/null -w '%%{http_code}' --cacert %s/certs/dev/ca.pem"
             " --cert %s/certs/dev/marketer.pem --key %s/certs/dev/marketer.key"
             " -H 'Content-Type: text/csv' --data-binary @%s '%s%s?holdout_pct=10')\" = 200",
             src, src, src, csv_path, itest_base_url(), path);
    assert_int_equal(itest_sh(cmd), 0);
    unlink(csv_path);
    /* Another list (or percentage) for the same campaign is refused and changes nothing. */
    body = list_body(&cards, 0, cards.n, "20", false);
    assert_int_equal(itest_call("marketer", "POST", path, body, &a), 409);
    assert_string_equal(itest_error_code(a), "conflict");
    json_decref(a);
    free(body);
    again = sql1(holdout_sql, campaign);
    assert_string_equal(again, held);
    free(again);

    /* The lift: 720 of the 9,000 mailed cards and 30 of the 1,000 held out bought in the
     * window; purchases before the in-home date do not count. */
    uint32_t *mailed = calloc(720, sizeof *mailed), *holdout = calloc(30, sizeof *holdout);
    uint32_t *held_set = calloc(1000, sizeof *held_set);
    size_t nm = 0, nh = 0, nset = 0;
    for (char *p = held; *p != '\0' && nset < 1000; p += *p == ',') {
        char *end = NULL;
        held_set[nset++] = (uint32_t)strtoul(p, &end, 10);
        p = end;
    }
    assert_int_equal(nset, 1000);
    for (size_t i = 0; i < cards.n; i++) {
        bool in_holdout =
            bsearch(&cards.serials[i], held_set, nset, sizeof *held_set, cmp_u32) != NULL;
        if (in_holdout && nh < 30)
            holdout[nh++] = cards.serials[i];
        else if (!in_holdout && nm < 720)
            mailed[nm++] = cards.serials[i];
    }
    free(held_set);
    assert_int_equal(nm, 720);
    assert_int_equal(nh, 30);
    earns(mailed, 720, "0", "lift-m");
    earns(holdout, 30, "0", "lift-h");
    uint32_t early[1] = {0};
    for (size_t i = 0; i < cards.n && early[0] == 0; i++) {
        bool used = false;
        for (size_t j = 0; j < 720 && !used; j++)
            used = mailed[j] == cards.serials[i];
        for (size_t j = 0; j < 30 && !used; j++)
            used = holdout[j] == cards.serials[i];
        if (!used)
            early[0] = cards.serials[i];
    }
    earns(early, 1, "3", "lift-early");
    free(mailed);
    free(holdout);
    free(held);

    snprintf(path, sizeof path, "/v1/campaigns/%lld/report", campaign);
    assert_int_equal(itest_call("marketer", "GET", path, NULL, &a), 200);
    json_t *h = json_object_get(a, "holdout");
    assert_true(json_is_object(h));
    json_t *m = json_object_get(h, "mailed"), *ho = json_object_get(h, "held_out");
    assert_int_equal(json_integer_value(json_object_get(m, "cards")), 9000);
    assert_int_equal(json_integer_value(json_object_get(m, "responders")), 720);
    assert_int_equal(json_integer_value(json_object_get(ho, "cards")), 1000);
    assert_int_equal(json_integer_value(json_object_get(ho, "responders")), 30);
    assert_true(fabs(itest_num(m, "rate") - 0.08) < 1e-9);
    assert_true(fabs(itest_num(ho, "rate") - 0.03) < 1e-9);
    assert_true(fabs(itest_num(h, "lift_pp") - 5.0) < 1e-9);
    /* statsmodels: confint_proportions_2indep(720, 9000, 30, 1000, method='newcomb') */
    json_t *ci = json_object_get(h, "lift_pp_ci");
    assert_true(fabs(json_number_value(json_array_get(ci, 0)) - 3.6369) < 0.0001);
    assert_true(fabs(json_number_value(json_array_get(ci, 1)) - 6.0621) < 0.0001);
    assert_true(json_is_true(json_object_get(h, "significant")));
    /* 720 x 10.00 EUR over 9,000 pieces against 30 x 10.00 EUR over 1,000: 0.50 EUR a piece */
    assert_true(fabs(itest_num(h, "incremental_revenue_per_piece_cents") - 50.0) < 1e-9);
    assert_int_equal(json_integer_value(json_object_get(h, "incremental_revenue_cents")), 450000);
    assert_true(fabs(itest_num(h, "incremental_roas") - 5.0) < 1e-9); /* 450000 / 90000 */
    json_decref(a);
    free(in_home);
    itest_cards_free(&cards);
}

static void bad_recipient_lists_are_refused_and_change_nothing(void **state)
{
    (void)state;
    struct itest_cards cards;
    assert_int_equal(itest_cards_make(3, &cards), 0);
    char *in_home = yesterday();
    long long campaign = mailing(in_home);
    free(in_home);
    char path[96], unknown[20], forged[20];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/recipients", campaign);
    itest_card_unknown(unknown);
    snprintf(forged, sizeof forged, "%s", cards.numbers[0]);
    forged[10] = forged[10] == 'A' ? 'B' : 'A'; /* the MAC no longer matches (or the check) */
    char bodies[12][512];
    int nb = 0;
    const char *a0 = cards.numbers[0], *a1 = cards.numbers[1];
    snprintf(bodies[nb++], 512, "{\"cards\":[\"%s\",\"nonsense!\"],\"holdout_pct\":10}", a0);
    snprintf(bodies[nb++], 512, "{\"cards\":[\"%s\",\"%s\"],\"holdout_pct\":10}", a0, forged);
    snprintf(bodies[nb++], 512, "{\"cards\":[\"%s\",\"%s\"],\"holdout_pct\":10}", a0, unknown);
    snprintf(bodies[nb++], 512, "{\"cards\":[\"%s\",\"%s\",\"%s\"],\"holdout_pct\":10}", a0, a1,
             a0);
    snprintf(bodies[nb++], 512, "{\"cards\":[],\"holdout_pct\":10}");
    snprintf(bodies[nb++], 512, "{\"cards\":[\"%s\"]}", a0);
    snprintf(bodies[nb++], 512, "{\"cards\":[\"%s\"],\"holdout_pct\":100.5}", a0);
    snprintf(bodies[nb++], 512, "{\"cards\":[\"%s\"],\"holdout_pct\":-1}", a0);
    snprintf(bodies[nb++], 512, "{\"cards\":[\"%s\"],\"holdout_pct\":10.001}", a0);
    snprintf(bodies[nb++], 512, "{\"cards\":[\"%s\"],\"holdout_pct\":10,\"seed\":1}", a0);
    snprintf(bodies[nb++], 512, "{\"cards\":\"%s\",\"holdout_pct\":10}", a0);
    snprintf(bodies[nb++], 512, "{\"cards\":[12345],\"holdout_pct\":10}");
    for (int i = 0; i < nb; i++) {
        json_t *a = NULL;
        long st = itest_call("marketer", "POST", path, bodies[i], &a);
        if (st != 400)
            fprintf(stderr, "%s: %ld %s\n", bodies[i], st, itest_error_code(a));
        assert_int_equal(st, 400);
        assert_string_equal(itest_error_code(a), "bad_request");
        assert_true(strlen(json_string_value(json_object_get(a, "message"))) > 10);
        json_decref(a);
    }
    assert_int_equal(
        num1("SELECT count(*) FROM recipient_lists WHERE campaign_id = $1::bigint", campaign), 0);
    assert_int_equal(num1("SELECT count(*) FROM coupons WHERE campaign_id = $1::bigint", campaign),
                     0);
    /* No such campaign; a terminal may not upload. */
    json_t *a = NULL;
    snprintf(bodies[0], 512, "{\"cards\":[\"%s\"],\"holdout_pct\":10}", a0);
    assert_int_equal(
        itest_call("marketer", "POST", "/v1/campaigns/999999999/recipients", bodies[0], &a), 404);
    json_decref(a);
    assert_int_equal(itest_call("terminal-1", "POST", path, bodies[0], &a), 403);
    json_decref(a);
    /* An ended campaign takes no list. */
    snprintf(path, sizeof path, "/v1/campaigns/%lld/end", campaign);
    assert_int_equal(itest_call("marketer", "POST", path, NULL, &a), 200);
    json_decref(a);
    snprintf(path, sizeof path, "/v1/campaigns/%lld/recipients", campaign);
    assert_int_equal(itest_call("marketer", "POST", path, bodies[0], &a), 409);
    json_decref(a);
    itest_cards_free(&cards);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(holdout_draws_exactly_the_same_thousand_and_measures_the_lift),
        cmocka_unit_test(bad_recipient_lists_are_refused_and_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
