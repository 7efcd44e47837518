/* Throwaway benchmark of the code-format primitives on one core: Ed25519
 * sign/verify (libsodium and OpenSSL), HMAC-SHA-256, and libcoupon's parse,
 * MAC check, sign, verify and QR rendering. Not part of the build; compile:
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude tests/bench/bench_codes.c \
 *      build/lib/libcoupon.a -lsodium -lqrencode -lpng -lcrypto -o /tmp/bench_codes
 * Results go into docs/codes.md. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "coupon/code.h"
#include "coupon/keys.h"
#include "coupon/qr.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile uint8_t sink;

/* Runs FN in batches for about one second; prints operations per second. */
#define BENCH(name, batch, body)                                                                   \
    do {                                                                                           \
        double t0 = now(), t;                                                                      \
        long ops = 0;                                                                              \
        do {                                                                                       \
            for (int i_ = 0; i_ < (batch); i_++) {                                                 \
                body;                                                                              \
            }                                                                                      \
            ops += (batch);                                                                        \
            t = now() - t0;                                                                        \
        } while (t < 1.0);                                                                         \
        printf("%-44s %12.0f /s  %8.2f us\n", name, ops / t, 1e6 * t / ops);                       \
    } while (0)

int main(void)
{
    uint8_t pk[32], sk[64], seed[32] = {1}, sig[64], msg[50], mac[32], key[32] = {2};
    size_t siglen = 64;
    struct cpn_keyring *k = cpn_keyring_new();
    struct cpn_code c, p;
    char short_text[CPN_SHORT_LEN + 1], signed_text[CPN_SIGNED_MAX_LEN + 1];
    EVP_PKEY *ossl;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    if (k == NULL || md == NULL)
        return 1;
    memset(msg, 7, sizeof msg);
    crypto_sign_seed_keypair(pk, sk, seed);
    ossl = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    if (ossl == NULL || cpn_keyring_add_sign_seed(k, 1, seed) != CPN_OK ||
        cpn_keyring_add_mac_key(k, 1, key) != CPN_OK)
        return 1;

    BENCH("libsodium Ed25519 sign (50 B)", 100, crypto_sign_detached(sig, NULL, msg, 50, sk));
    BENCH("libsodium Ed25519 verify (50 B)", 100,
          sink ^= (uint8_t)crypto_sign_verify_detached(sig, msg, 50, pk));
    BENCH("OpenSSL Ed25519 sign (50 B)", 100, {
        siglen = 64;
        EVP_DigestSignInit(md, NULL, NULL, NULL, ossl);
        EVP_DigestSign(md, sig, &siglen, msg, 50);
    });
    BENCH("OpenSSL Ed25519 verify (50 B)", 100, {
        EVP_DigestVerifyInit(md, NULL, NULL, NULL, ossl);
        sink ^= (uint8_t)EVP_DigestVerify(md, sig, 64, msg, 50);
    });
    BENCH("libsodium HMAC-SHA-256 one-shot (22 B)", 1000,
          crypto_auth_hmacsha256(mac, msg, 22, key));
    BENCH("OpenSSL HMAC-SHA-256 one-shot (22 B)", 1000,
          HMAC(EVP_sha256(), key, 32, msg, 22, mac, NULL));

    if (cpn_code_issue(k, CPN_KIND_COUPON, 12345, &c, short_text) != CPN_OK)
        return 1;
    c.offer_kind = CPN_OFFER_PERCENT;
    c.offer_value = 10;
    c.bound_to_card = true;
    c.card_serial = 99;
    if (cpn_code_sign(k, &c, signed_text, sizeof signed_text, NULL) != CPN_OK)
        return 1;
    BENCH("cpn_code_parse short", 10000,
          sink ^= (uint8_t)cpn_code_parse(short_text, CPN_SHORT_LEN, &p));
    BENCH("cpn_code_check_mac", 1000, sink ^= (uint8_t)cpn_code_check_mac(k, NULL, &p));
    BENCH("cpn_code_issue (MAC + format)", 1000,
          sink ^= (uint8_t)cpn_code_issue(k, CPN_KIND_COUPON, (uint32_t)i_, &p, short_text));
    BENCH("cpn_short_is_clean", 10000, sink ^= (uint8_t)cpn_short_is_clean(short_text));
    BENCH("cpn_code_parse signed (156 chars)", 10000,
          sink ^= (uint8_t)cpn_code_parse(signed_text, strlen(signed_text), &p));
    BENCH("cpn_code_sign (156 chars)", 100,
          sink ^= (uint8_t)cpn_code_sign(k, &c, signed_text, sizeof signed_text, NULL));
    BENCH("cpn_code_verify", 100, sink ^= (uint8_t)cpn_code_verify(k, &c));
    BENCH("cpn_qr_svg (signed form)", 10, {
        char *svg = NULL;
        sink ^= (uint8_t)cpn_qr_svg(signed_text, NULL, &svg, NULL, NULL);
        free(svg);
    });
    BENCH("cpn_qr_png (signed form, 4 px/module)", 10, {
        uint8_t *png = NULL;
        size_t len;
        sink ^= (uint8_t)cpn_qr_png(signed_text, NULL, &png, &len, NULL);
        free(png);
    });
    EVP_PKEY_free(ossl);
    EVP_MD_CTX_free(md);
    cpn_keyring_free(k);
    return 0;
}
