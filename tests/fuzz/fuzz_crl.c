/* libFuzzer target for the CRL loading path (service/crl.c, as revocation.c uses it on the
 * CRL file): crl_parse on arbitrary bytes, PEM or DER, checked against a fixed CA, must never
 * crash, leak or read past its input; a refusal always says why; whatever it accepts must
 * find every serial it lists, compare consistently with the reference CRL and free cleanly. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../service/crl.h"
#include "crl_vectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gnutls_x509_crt_t ca;
static struct crl reference;

static void setup(void)
{
    char why[384];
    gnutls_datum_t pem = {(unsigned char *)CRL_TEST_CA, (unsigned)strlen(CRL_TEST_CA)};
    if (gnutls_x509_crt_init(&ca) < 0 || gnutls_x509_crt_import(ca, &pem, GNUTLS_X509_FMT_PEM) < 0)
        abort();
    if (crl_parse(CRL_TWO, strlen(CRL_TWO), ca, &reference, why, sizeof why) != CPN_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ca == NULL)
        setup();
    struct crl c;
    char why[384];
    enum cpn_err err = crl_parse(data, size, ca, &c, why, sizeof why);
    if (err != CPN_OK) {
        if (why[0] == '\0' || c.revoked != NULL || c.count != 0)
            abort();
        return 0;
    }
    for (size_t i = 0; i < c.count; i++)
        if (!crl_contains(&c, c.revoked[i].bytes, c.revoked[i].len))
            abort();
    int ab = crl_compare(&c, &reference), ba = crl_compare(&reference, &c);
    if ((ab > 0) != (ba < 0) || (ab == 0) != (ba == 0))
        abort();
    char hex[2 * CRL_SERIAL_MAX + 1];
    crl_serial_hex(&c.number, hex, sizeof hex);
    if (strlen(hex) != 2u * c.number.len)
        abort();
    crl_clear(&c);
    return 0;
}
