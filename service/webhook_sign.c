/* Standard Webhooks v1 signatures: HMAC-SHA256 over "{msg_id}.{timestamp}.{payload}" with
 * the subscription's secret, base64-encoded, prefixed "v1,". */
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "webhook_sign.h"

enum cpn_err webhook_secret_new(uint8_t *secret, size_t n)
{
    return RAND_bytes(secret, (int)n) == 1 ? CPN_OK : CPN_ERR_INTERNAL;
}

int webhook_base64_decode(const char *text, uint8_t *out, size_t cap)
{
    size_t len = strlen(text);
    if (len == 0 || len % 4 != 0 || len / 4 * 3 > cap + 2)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        bool pad = c == '=' && i >= len - 2 && (i == len - 1 || text[len - 1] == '=');
        if (!(pad || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return -1;
    }
    unsigned char tmp[4096];
    if (len / 4 * 3 > sizeof tmp)
        return -1;
    int n = EVP_DecodeBlock(tmp, (const unsigned char *)text, (int)len);
    if (n < 0)
        return -1;
    n -= (text[len - 1] == '=') + (text[len - 2] == '=');
    if ((size_t)n > cap)
        return -1;
    memcpy(out, tmp, (size_t)n);
    OPENSSL_cleanse(tmp, sizeof tmp);
    return n;
}

enum cpn_err webhook_sign(const uint8_t *secret, size_t secret_len, const char *msg_id,
                          long long timestamp, const char *body, size_t body_len,
                          char out[WEBHOOK_SIG_MAX])
{
    char ts[32];
    int tlen = snprintf(ts, sizeof ts, ".%lld.", timestamp);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    size_t outl = 0;
    bool ok = ctx != NULL && EVP_MAC_init(ctx, secret, secret_len, params) == 1 &&
              EVP_MAC_update(ctx, (const unsigned char *)msg_id, strlen(msg_id)) == 1 &&
              EVP_MAC_update(ctx, (const unsigned char *)ts, (size_t)tlen) == 1 &&
              EVP_MAC_update(ctx, (const unsigned char *)body, body_len) == 1 &&
              EVP_MAC_final(ctx, mac, &outl, sizeof mac) == 1;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    mac_len = (unsigned)outl;
    if (!ok || mac_len != 32)
        return CPN_ERR_INTERNAL;
    memcpy(out, "v1,", 3);
    EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)mac_len);
    return CPN_OK;
}
