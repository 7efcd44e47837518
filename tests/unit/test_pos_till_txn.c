/* Unit tests for the till's txn ids and retries, without a coupon service: a call that never
 * left the till (nothing listens at https://127.0.0.1:9) is closed, not left pending; against a
 * service that accepts connections and never answers (a socket of this test), an unanswered
 * redeem stays pending, a new identical redeem gets a new txn id (the old journal reused the
 * unanswered one), a retry sends the pending call again under its own txn id and writes no second
 * begin line, and a --txn pending for another request is refused without a call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "pos/till.h"
#include "coupon/keys.h"

static char tmpdir[] = "/tmp/test_pos_till_txn.XXXXXX";
static char state_dir[256], journal_path[300];

static struct cpn_keyring *ring; /* the "service's" MAC key 1, to issue short forms */
static struct pos_config *cfg;
static struct pos_api *api;
static struct pos_till *till;
/* A service that never answers: a listening socket nobody accepts on (the kernel completes the
 * TCP handshake; the TLS handshake then waits), with a throwaway certificate for the till. */
static int silent_fd = -1;
static struct pos_config *silent_cfg;
static struct pos_api *silent_api;
static struct pos_till *silent;
static char pem_path[300];

/* Issues a short form of KIND and SERIAL into CODE (and OUT). */
static void issue(enum cpn_kind kind, uint32_t serial, struct cpn_code *out,
                  char code[CPN_SHORT_LEN + 1])
{
    assert_int_equal(cpn_code_issue(ring, kind, serial, out, code), CPN_OK);
}

static int group_setup(void **state)
{
    (void)state;
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(state_dir, sizeof state_dir, "%s/state", tmpdir);
    snprintf(journal_path, sizeof journal_path, "%s/journal.log", state_dir);
    uint8_t mac[CPN_MAC_KEY_BYTES];
    for (size_t i = 0; i < sizeof mac; i++)
        mac[i] = (uint8_t)i;
    ring = cpn_keyring_new();
    if (ring == NULL || cpn_keyring_add_mac_key(ring, 1, mac) != CPN_OK)
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
    if (api == NULL)
        return -1;
    /* The silent service. */
    silent_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t salen = sizeof sa;
    if (silent_fd < 0 || bind(silent_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(silent_fd, 64) != 0 || getsockname(silent_fd, (struct sockaddr *)&sa, &salen) != 0)
        return -1;
    snprintf(pem_path, sizeof pem_path, "%s/till.pem", tmpdir);
    char cmd[1024], url[64];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
             "-subj /CN=127.0.0.1 -keyout '%s.key' -out '%s' 2>/dev/null",
             pem_path, pem_path);
    if (system(cmd) != 0)
        return -1;
    snprintf(url, sizeof url, "https://127.0.0.1:%d", ntohs(sa.sin_port));
    silent_cfg = pos_config_new();
    if (silent_cfg == NULL)
        return -1;
    silent_cfg->url = strdup(url);
    silent_cfg->ca = strdup(pem_path);
    silent_cfg->cert = strdup(pem_path);
    snprintf(cmd, sizeof cmd, "%s.key", pem_path);
    silent_cfg->key = strdup(cmd);
    silent_cfg->state_dir = strdup(state_dir);
    silent_cfg->timeout_ms = 1500;
    silent_cfg->connect_timeout_ms = 700;
    silent_api = pos_api_new(silent_cfg);
    return silent_api != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    pos_api_free(api);
    pos_config_free(cfg);
    pos_api_free(silent_api);
    pos_config_free(silent_cfg);
    if (silent_fd >= 0)
        close(silent_fd);
    char key[320];
    snprintf(key, sizeof key, "%s.key", pem_path);
    unlink(pem_path);
    unlink(key);
    curl_global_cleanup();
    cpn_keyring_free(ring);
    char rm[400];
    snprintf(rm, sizeof rm, "rm -rf '%s'", tmpdir);
    if (system(rm) != 0)
        return -1;
    return 0;
}

/* Before each test: no journal, fresh tills. */
static int setup(void **state)
{
    (void)state;
    unlink(journal_path);
    mkdir(state_dir, 0700);
    till = pos_till_new(cfg, api, false);
    silent = pos_till_new(silent_cfg, silent_api, false);
    return till != NULL && silent != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pos_till_free(till);
    pos_till_free(silent);
    till = silent = NULL;
    return 0;
}

/* Returns the journal's text (the caller frees it); "" when there is none. */
static char *journal_text(void)
{
    FILE *f = fopen(journal_path, "r");
    char *buf = calloc(1, 1 << 16);
    assert_non_null(buf);
    if (f != NULL) {
        size_t n = fread(buf, 1, (1 << 16) - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

/* Returns how many times NEEDLE occurs in the journal. */
static int journal_count(const char *needle)
{
    char *text = journal_text();
    int n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    free(text);
    return n;
}

static void redeem_that_never_left_the_till_is_not_left_pending(void **state)
{
    (void)state;
    struct cpn_code c;
    char code[CPN_SHORT_LEN + 1];
    issue(CPN_KIND_COUPON, 85, &c, code);
    struct pos_result res;
    pos_till_redeem(till, code, 1234, NULL, NULL, &res);
    assert_int_equal(res.exit, POS_EXIT_UNAVAILABLE);
    assert_false(res.pending);
    assert_non_null(strstr(res.line, "cannot be reached: nothing was done"));
    struct pos_journal_state s;
    assert_int_equal(pos_till_pending(till, &s), CPN_OK);
    assert_int_equal(s.n_pending, 0);
    pos_journal_state_free(&s);
    assert_int_equal(journal_count("\tunsent 0\tn="), 1);
}

static void a_new_redeem_never_takes_the_txn_of_an_unanswered_one(void **state)
{
    (void)state;
    struct cpn_code c;
    char code[CPN_SHORT_LEN + 1];
    issue(CPN_KIND_COUPON, 88, &c, code);
    struct pos_result first, second;
    pos_till_redeem(silent, code, 350, NULL, NULL, &first);
    assert_int_equal(first.exit, POS_EXIT_UNAVAILABLE);
    assert_true(first.pending);
    assert_int_equal(first.txn_id[0], 'T');
    char want[160];
    snprintf(want, sizeof want, "Txn %s is kept pending: run pos-client retry to settle it",
             first.txn_id);
    if (strstr(first.line, want) == NULL)
        fail_msg("line '%s' does not say '%s'", first.line, want);
    /* The same coupon, amount and card again: a new purchase, under a new txn id. */
    pos_till_redeem(silent, code, 350, NULL, NULL, &second);
    assert_true(second.pending);
    assert_false(second.resolving);
    assert_string_not_equal(second.txn_id, first.txn_id);
    struct pos_journal_state s;
    assert_int_equal(pos_till_pending(silent, &s), CPN_OK);
    assert_int_equal(s.n_pending, 2);
    assert_non_null(pos_journal_find(&s, first.txn_id));
    assert_non_null(pos_journal_find(&s, second.txn_id));
    pos_journal_state_free(&s);
}

static void retry_that_cannot_connect_leaves_the_pending_call_pending(void **state)
{
    (void)state;
    struct cpn_code c;
    char code[CPN_SHORT_LEN + 1];
    issue(CPN_KIND_COUPON, 91, &c, code);
    struct pos_result first, again;
    pos_till_redeem(silent, code, 700, NULL, NULL, &first); /* it may have gone through */
    assert_true(first.pending);
    /* The retry finds no service at all: its request never leaves the till, but the first one
     * may have arrived, so the txn stays pending (it was closed as "unsent" before). */
    pos_till_redeem(till, code, 700, NULL, first.txn_id, &again);
    assert_true(again.resolving);
    assert_int_equal(again.exit, POS_EXIT_UNAVAILABLE);
    assert_true(again.pending);
    struct pos_journal_state s;
    assert_int_equal(pos_till_pending(till, &s), CPN_OK);
    assert_non_null(pos_journal_find(&s, first.txn_id));
    pos_journal_state_free(&s);
    assert_int_equal(journal_count("\tunsent 0\tn="), 0);
}

static void retry_sends_a_pending_call_again_under_its_own_txn(void **state)
{
    (void)state;
    struct cpn_code c;
    char code[CPN_SHORT_LEN + 1], card[CPN_SHORT_LEN + 1];
    issue(CPN_KIND_COUPON, 89, &c, code);
    issue(CPN_KIND_CARD, 90, &c, card);
    struct pos_result first, again;
    pos_till_redeem(silent, code, 2000, card, NULL, &first);
    assert_true(first.pending);
    struct pos_journal_state s;
    assert_int_equal(pos_till_pending(silent, &s), CPN_OK);
    assert_int_equal(s.n_pending, 1);
    const struct pos_journal_entry *e = &s.pending[0];
    assert_string_equal(e->card, card);
    char what[160], how[POS_LINE_SIZE], want_buf[160];
    snprintf(want_buf, sizeof want_buf, "redeem %s, basket 20.00 EUR, card %s", code, card);
    assert_string_equal(pos_till_describe_entry(e, what, sizeof what), want_buf);
    unsigned long calls = pos_api_calls(silent_api);
    pos_till_retry(silent, e, &again);
    assert_int_equal(pos_api_calls(silent_api), calls + 1);
    assert_true(again.resolving);
    assert_true(again.pending);
    assert_string_equal(again.txn_id, first.txn_id);
    assert_string_equal(again.began, e->time);
    assert_memory_equal(again.line, "NO ANSWER: ", 11);
    assert_string_equal(pos_till_resolution(e, &again, how, sizeof how),
                        "still no answer: it stays pending; run pos-client retry later");
    pos_journal_state_free(&s);
    /* Sent again, not begun again: one begin line for the txn, and it is still pending. */
    char begin[80];
    snprintf(begin, sizeof begin, "begin\t%s\t", first.txn_id);
    assert_int_equal(journal_count(begin), 1);
    assert_int_equal(pos_till_pending(silent, &s), CPN_OK);
    assert_int_equal(s.n_pending, 1);
    pos_journal_state_free(&s);
}

static void explicit_txn_pending_for_another_call_is_refused_without_a_call(void **state)
{
    (void)state;
    struct cpn_code c;
    char code[CPN_SHORT_LEN + 1];
    issue(CPN_KIND_COUPON, 91, &c, code);
    struct pos_result res;
    pos_till_redeem(silent, code, 100, NULL, "till1-receipt-0043", &res);
    assert_true(res.pending);
    assert_false(res.resolving);
    unsigned long calls = pos_api_calls(silent_api);
    pos_till_redeem(silent, code, 200, NULL, "till1-receipt-0043", &res);
    assert_int_equal(res.exit, POS_EXIT_USAGE);
    assert_int_equal(pos_api_calls(silent_api), calls);
    assert_non_null(strstr(res.line, "is pending in this till's journal for another call (redeem"));
    pos_till_redeem(silent, code, 100, NULL, "till1-receipt-0043", &res);
    assert_true(res.resolving); /* the same call under the same txn: sent again */
    assert_int_equal(pos_api_calls(silent_api), calls + 1);
}

static void explicit_txn_is_used_and_a_bad_one_is_a_usage_error(void **state)
{
    (void)state;
    struct cpn_code c;
    char code[CPN_SHORT_LEN + 1];
    issue(CPN_KIND_COUPON, 86, &c, code);
    struct pos_result res;
    pos_till_redeem(till, code, 100, NULL, "till1-receipt-0042", &res);
    assert_string_equal(res.txn_id, "till1-receipt-0042");
    assert_false(res.pending); /* nothing listens: it never left the till */
    assert_int_equal(journal_count("begin\ttill1-receipt-0042\t"), 1);
    assert_int_equal(journal_count("finish\ttill1-receipt-0042\t"), 1);
    unsigned long calls = pos_api_calls(api);
    pos_till_redeem(till, code, 100, NULL, "bad txn!", &res);
    assert_int_equal(res.exit, POS_EXIT_USAGE);
    assert_int_equal(pos_api_calls(api), calls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(redeem_that_never_left_the_till_is_not_left_pending, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_new_redeem_never_takes_the_txn_of_an_unanswered_one,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(retry_that_cannot_connect_leaves_the_pending_call_pending,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(retry_sends_a_pending_call_again_under_its_own_txn, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            explicit_txn_pending_for_another_call_is_refused_without_a_call, setup, teardown),
        cmocka_unit_test_setup_teardown(explicit_txn_is_used_and_a_bad_one_is_a_usage_error, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
