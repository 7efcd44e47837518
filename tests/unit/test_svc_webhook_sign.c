/* Unit tests for Standard Webhooks signing (service/webhook_sign.c) against the published
 * test vector of the Standard Webhooks reference libraries, base64 secrets, and the masking
 * of codes in events (service/event_json.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "event_json.h"
#include "webhook_sign.h"

static void sign_reproduces_the_standard_webhooks_test_vector(void **state)
{
    (void)state;
    uint8_t secret[64];
    int n = webhook_base64_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", secret, sizeof secret);
    assert_int_equal(n, 24);
    const char *body = "{\"test\": 2432232314}";
    char sig[WEBHOOK_SIG_MAX];
    assert_int_equal(webhook_sign(secret, (size_t)n, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330LL,
                                  body, strlen(body), sig),
                     CPN_OK);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* Another timestamp, another signature. */
    char other[WEBHOOK_SIG_MAX];
    assert_int_equal(webhook_sign(secret, (size_t)n, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331LL,
                                  body, strlen(body), other),
                     CPN_OK);
    assert_string_not_equal(sig, other);
}

static void base64_decoding_refuses_what_is_not_padded_base64(void **state)
{
    (void)state;
    uint8_t out[64];
    assert_int_equal(webhook_base64_decode("QUJD", out, sizeof out), 3);
    assert_memory_equal(out, "ABC", 3);
    assert_int_equal(webhook_base64_decode("QUI=", out, sizeof out), 2);
    assert_int_equal(webhook_base64_decode("QQ==", out, sizeof out), 1);
    assert_int_equal(webhook_base64_decode("", out, sizeof out), -1);
    assert_int_equal(webhook_base64_decode("QUJ", out, sizeof out), -1);
    assert_int_equal(webhook_base64_decode("QU=D", out, sizeof out), -1);
    assert_int_equal(webhook_base64_decode("QU\nJD", out, sizeof out), -1);
    assert_int_equal(webhook_base64_decode("Q!JD", out, sizeof out), -1);
    assert_int_equal(webhook_base64_decode("QUJDREVG", out, 5), -1); /* 6 bytes do not fit */
}

static void new_secrets_differ(void **state)
{
    (void)state;
    uint8_t a[WEBHOOK_SECRET_LEN], b[WEBHOOK_SECRET_LEN];
    assert_int_equal(webhook_secret_new(a, sizeof a), CPN_OK);
    assert_int_equal(webhook_secret_new(b, sizeof b), CPN_OK);
    assert_memory_not_equal(a, b, sizeof a);
}

static void masking_keeps_separators_and_the_last_four_characters(void **state)
{
    (void)state;
    char code[] = "4000-0016-P1ND-HYCE";
    event_mask(code);
    assert_string_equal(code, "****-****-****-HYCE");
    char short_one[] = "AB";
    event_mask(short_one);
    assert_string_equal(short_one, "AB");
}

static void only_known_event_types_are_accepted(void **state)
{
    (void)state;
    assert_true(event_type_known("redemption.created"));
    assert_true(event_type_known("campaign.paused"));
    assert_false(event_type_known("redemption.exploded"));
    assert_false(event_type_known("*"));
    assert_false(event_type_known(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sign_reproduces_the_standard_webhooks_test_vector),
        cmocka_unit_test(base64_decoding_refuses_what_is_not_padded_base64),
        cmocka_unit_test(new_secrets_differ),
        cmocka_unit_test(masking_keeps_separators_and_the_last_four_characters),
        cmocka_unit_test(only_known_event_types_are_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
