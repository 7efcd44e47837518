/* Unit tests for the pure parts of coupond's front door: log scrubbing (escapes, code masks),
 * the log rate limit, CRL parsing and ordering (fixed vectors of tests/fuzz/crl_vectors.h),
 * and the flags of revocation and connection admission. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "crl.h"
#include "log.h"
#include "log_scrub.h"
#include "../fuzz/crl_vectors.h"

static const char *scrub(const char *in)
{
    static char out[1024];
    log_scrub(in, strlen(in), out, sizeof out);
    return out;
}

static void control_characters_and_backslashes_are_escaped(void **state)
{
    (void)state;
    assert_string_equal(scrub("CN=evil\n2099 error FORGED\x1b[31m"),
                        "CN=evil\\x0a2099 error FORGED\\x1b[31m");
    assert_string_equal(scrub("a\tb\rc\x7f"), "a\\x09b\\x0dc\\x7f");
    assert_string_equal(scrub("CN=a\\,b"), "CN=a\\\\,b");
}

static void valid_utf8_is_kept_and_the_rest_escaped(void **state)
{
    (void)state;
    assert_string_equal(scrub("M\xc3\xbcller \xe2\x82\xac"), "M\xc3\xbcller \xe2\x82\xac");
    assert_string_equal(scrub("a\xff"
                              "b"),
                        "a\\xffb");
    assert_string_equal(scrub("\xc2\x9b"
                              "31m"),
                        "\\xc2\\x9b31m");                          /* C1 CSI */
    assert_string_equal(scrub("\xc0\xaf"), "\\xc0\\xaf");          /* overlong '/' */
    assert_string_equal(scrub("\xe2\x80\xa8"), "\\xe2\\x80\\xa8"); /* LINE SEPARATOR */
}

static void codes_are_masked_and_other_words_are_not(void **state)
{
    (void)state;
    assert_string_equal(scrub("card M000-00YA-YW36-602T issued"),
                        "card M000-****-****-**** issued");
    assert_string_equal(scrub("/v1/cards/m00000yayw36602t/earn"),
                        "/v1/cards/m000************/earn");
    char signed_form[160];
    memset(signed_form, 'A', 149);
    signed_form[149] = '\0';
    const char *out = scrub(signed_form);
    assert_int_equal(strlen(out), 149);
    assert_memory_equal(out, "AAAA*****", 9);
    /* Not codes: 15 or 17 symbols, letters outside the code alphabet, hex fingerprints. */
    assert_string_equal(scrub("ABCD-EFGH-JKMN-PQR"), "ABCD-EFGH-JKMN-PQR");
    assert_string_equal(scrub("ABCD-EFGH-JKMN-PQRST"), "ABCD-EFGH-JKMN-PQRST");
    assert_string_equal(scrub("misunderstanding"), "misunderstanding");
    assert_string_equal(scrub("0123456789abcdef0123456789abcdef"),
                        "0123456789abcdef0123456789abcdef");
}

static void scrubbed_output_is_cut_at_a_character_boundary(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(log_scrub("abc\n\n", 5, out, sizeof out), 7);
    assert_string_equal(out, "abc\\x0a");
    assert_int_equal(log_scrub("ab\xc3\xbc\xc3\xbc\xc3\xbc", 8, out, sizeof out), 6);
    assert_string_equal(out, "ab\xc3\xbc\xc3\xbc");
}

static void log_limit_allows_a_burst_then_counts_what_it_left_out(void **state)
{
    (void)state;
    struct log_limit limit = LOG_LIMIT_INIT(3.0, 0.0);
    unsigned long left_out = 99;
    for (int i = 0; i < 3; i++) {
        assert_true(log_limit_allow(&limit, &left_out));
        assert_int_equal(left_out, 0);
    }
    assert_false(log_limit_allow(&limit, &left_out));
    assert_false(log_limit_allow(&limit, &left_out));
    limit.tokens = 1.0; /* as if time had passed */
    assert_true(log_limit_allow(&limit, &left_out));
    assert_int_equal(left_out, 2);
}

static gnutls_x509_crt_t test_ca(void)
{
    gnutls_x509_crt_t ca;
    gnutls_datum_t pem = {(unsigned char *)CRL_TEST_CA, (unsigned)strlen(CRL_TEST_CA)};
    assert_true(gnutls_x509_crt_init(&ca) >= 0);
    assert_true(gnutls_x509_crt_import(ca, &pem, GNUTLS_X509_FMT_PEM) >= 0);
    return ca;
}

static void crl_of_the_ca_is_read_whatever_its_dates(void **state)
{
    (void)state;
    gnutls_x509_crt_t ca = test_ca();
    struct crl two, future, stale;
    char why[384];
    assert_int_equal(crl_parse(CRL_TWO, strlen(CRL_TWO), ca, &two, why, sizeof why), CPN_OK);
    assert_int_equal(two.count, 2);
    assert_true(two.has_number);
    assert_int_equal(two.number.len, 1);
    assert_int_equal(two.number.bytes[0], 3);
    static const uint8_t revoked[] = {0x00, 0x76, 0x9e, 0x8a, 0x0e, 0x6f, 0x5c, 0x50, 0xbd,
                                      0x4f, 0x10, 0xb5, 0x59, 0xce, 0xac, 0x9a, 0xdd};
    assert_true(crl_contains(&two, revoked, sizeof revoked)); /* with DER sign padding */
    assert_true(crl_contains(&two, revoked + 1, sizeof revoked - 1));
    assert_false(crl_contains(&two, revoked + 2, sizeof revoked - 2));
    assert_int_equal(crl_parse(CRL_FUTURE, strlen(CRL_FUTURE), ca, &future, why, sizeof why),
                     CPN_OK);
    assert_int_equal(future.this_update, 4070908800); /* 2099-01-01 */
    assert_int_equal(crl_parse(CRL_STALE, strlen(CRL_STALE), ca, &stale, why, sizeof why), CPN_OK);
    assert_int_equal(stale.next_update, 1580515200); /* 2020-02-01 */
    /* Issue order is the CRL number's, not thisUpdate's. */
    assert_true(crl_compare(&stale, &future) > 0);
    assert_true(crl_compare(&future, &two) > 0);
    assert_true(crl_compare(&two, &stale) < 0);
    assert_int_equal(crl_compare(&two, &two), 0);
    assert_true(crl_same_list(&two, &two));
    assert_true(crl_same_list(&two, &stale)); /* a later issue of the same list */
    struct crl empty;
    assert_int_equal(crl_parse(CRL_EMPTY, strlen(CRL_EMPTY), ca, &empty, why, sizeof why), CPN_OK);
    assert_false(crl_same_list(&two, &empty));
    crl_clear(&empty);
    /* The same number issued again later (a CA whose crlnumber went back): thisUpdate decides. */
    struct crl again = two;
    again.this_update += 60;
    assert_true(crl_compare(&again, &two) > 0);
    /* Without numbers, thisUpdate decides. */
    two.has_number = future.has_number = false;
    assert_true(crl_compare(&future, &two) > 0);
    crl_clear(&two);
    crl_clear(&future);
    crl_clear(&stale);
    gnutls_x509_crt_deinit(ca);
}

static void crl_refusals_say_what_is_wrong(void **state)
{
    (void)state;
    gnutls_x509_crt_t ca = test_ca();
    struct crl c;
    char why[384];
    assert_int_equal(crl_parse(CRL_FOREIGN, strlen(CRL_FOREIGN), ca, &c, why, sizeof why),
                     CPN_ERR_BAD_REQUEST);
    assert_non_null(strstr(why, "not by the client CA"));
    assert_null(c.revoked);
    char tampered[sizeof CRL_TWO];
    memcpy(tampered, CRL_TWO, sizeof CRL_TWO);
    char *sig = strstr(tampered, "-----END") - 10; /* a base64 character of the signature */
    *sig = *sig == 'A' ? 'B' : 'A';
    assert_int_equal(crl_parse(tampered, strlen(tampered), ca, &c, why, sizeof why),
                     CPN_ERR_BAD_REQUEST);
    assert_non_null(strstr(why, "signature"));
    assert_int_equal(crl_parse("garbage", 7, ca, &c, why, sizeof why), CPN_ERR_BAD_REQUEST);
    assert_non_null(strstr(why, "not a DER CRL"));
    assert_int_equal(crl_parse("", 0, ca, &c, why, sizeof why), CPN_ERR_BAD_REQUEST);
    assert_non_null(strstr(why, "empty"));
    gnutls_x509_crt_deinit(ca);
}

static void serve_flags_for_revocation_and_admission(void **state)
{
    (void)state;
    char err[256];
    unsetenv("COUPOND_LISTEN");
    unsetenv("COUPOND_DB");
    char *a1[] = {"coupond", "serve", "--no-crl", NULL};
    struct svc_config *c = svc_config_new(3, a1, err, sizeof err);
    assert_non_null(c);
    assert_true(c->no_crl);
    assert_int_equal(c->max_per_address, 256);
    assert_int_equal(c->max_unauth, 256); /* a quarter of 4096, at most 256 */
    assert_int_equal(c->max_unauth_per_address, 128);
    assert_int_equal(c->handshake_deadline_s, 5);
    svc_config_free(c);
    char *a2[] = {"coupond", "--max-connections", "256", "--max-connections-per-address", "0",
                  NULL};
    c = svc_config_new(5, a2, err, sizeof err);
    assert_non_null(c);
    assert_false(c->no_crl);
    assert_int_equal(c->max_unauth, 64);
    assert_int_equal(c->max_unauth_per_address, 32);
    assert_int_equal(c->max_per_address, 0);
    svc_config_free(c);
    char *a3[] = {"coupond", "--max-connections", "100", "--max-unauthenticated", "100", NULL};
    assert_null(svc_config_new(5, a3, err, sizeof err));
    assert_non_null(strstr(err, "max-unauthenticated"));
    char *a4[] = {"coupond", "--handshake-deadline", "0", NULL};
    assert_null(svc_config_new(3, a4, err, sizeof err));
    char *a5[] = {"coupond", "--no-crl=maybe", NULL};
    assert_null(svc_config_new(2, a5, err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(control_characters_and_backslashes_are_escaped),
        cmocka_unit_test(valid_utf8_is_kept_and_the_rest_escaped),
        cmocka_unit_test(codes_are_masked_and_other_words_are_not),
        cmocka_unit_test(scrubbed_output_is_cut_at_a_character_boundary),
        cmocka_unit_test(log_limit_allows_a_burst_then_counts_what_it_left_out),
        cmocka_unit_test(crl_of_the_ca_is_read_whatever_its_dates),
        cmocka_unit_test(crl_refusals_say_what_is_wrong),
        cmocka_unit_test(serve_flags_for_revocation_and_admission),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
