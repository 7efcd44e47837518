/* Fixed test vectors for the CRL loading path (service/crl.c), shared by tests/fuzz/fuzz_crl.c
 * and tests/unit/test_svc_front.c: a CA made once with certs/coupond-pki (its key thrown away)
 * and CRLs it signed. Serials revoked by CRL_TWO: 769e8a0e6f5c50bd4f10b559ceac9add and
 * 33a7483ac16e09fbadad5444db460ddd (keyCompromise). */
#ifndef CRL_VECTORS_H
#define CRL_VECTORS_H

/* PEM text one line per line, as openssl writes it. */
/* clang-format off */

/* The CA: O=coupond, CN=coupond fuzz CA. */
static const char CRL_TEST_CA[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBvTCCAWSgAwIBAgIQAJ7C9MBdRTuLV9p6O6FqrjAKBggqhkjOPQQDAjAsMRAw\n"
    "DgYDVQQKDAdjb3Vwb25kMRgwFgYDVQQDDA9jb3Vwb25kIGZ1enogQ0EwIBcNMjYx\n"
    "MTMwMDQwNDMzWhgPMjEyNjExMDYwNDA0MzNaMCwxEDAOBgNVBAoMB2NvdXBvbmQx\n"
    "GDAWBgNVBAMMD2NvdXBvbmQgZnV6eiBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
    "A0IABFEm1q90/Y3DCqTelNUvQEpO5wA/wwo4BT75wFr/EfoYeJXGKt2OE2frO1d+\n"
    "Wb9tUOU2LsIeQhrcJeCLVhaIqFijZjBkMBIGA1UdEwEB/wQIMAYBAf8CAQAwDgYD\n"
    "VR0PAQH/BAQDAgEGMB0GA1UdDgQWBBSSiZtMn5dF7TXrIXSxpnJppWByYTAfBgNV\n"
    "HSMEGDAWgBSSiZtMn5dF7TXrIXSxpnJppWByYTAKBggqhkjOPQQDAgNHADBEAiAl\n"
    "lEcgQCU4eOBIpNBHRs5jnwlJZd8RumQYvbimy3uBWgIgW0bkQMB1eudMnRzHMH3w\n"
    "HNQbRF6qAQcxA5dI5j59xfY=\n"
    "-----END CERTIFICATE-----\n";

/* CRL number 1, nothing revoked. */
static const char CRL_EMPTY[] =
    "-----BEGIN X509 CRL-----\n"
    "MIHlMIGMAgEBMAoGCCqGSM49BAMCMCwxEDAOBgNVBAoMB2NvdXBvbmQxGDAWBgNV\n"
    "BAMMD2NvdXBvbmQgZnV6eiBDQRcNMjYxMTMwMDQwNDMzWhcNMjYxMjMwMDQwNDMz\n"
    "WqAvMC0wHwYDVR0jBBgwFoAUkombTJ+XRe016yF0saZyaaVgcmEwCgYDVR0UBAMC\n"
    "AQEwCgYIKoZIzj0EAwIDSAAwRQIgVxD16/EAIWNdQFX2oBm5E9nswRyl8DvVVqJy\n"
    "xTUl8nQCIQDpUZ5EF6L9o/DBEjxqtsEcKuOPOIE/NXobSI0bVXgxKA==\n"
    "-----END X509 CRL-----\n";

/* CRL number 3, two serials revoked. */
static const char CRL_TWO[] =
    "-----BEGIN X509 CRL-----\n"
    "MIIBOzCB4gIBATAKBggqhkjOPQQDAjAsMRAwDgYDVQQKDAdjb3Vwb25kMRgwFgYD\n"
    "VQQDDA9jb3Vwb25kIGZ1enogQ0EXDTI2MTEzMDA0MDQzNloXDTI2MTIzMDA0MDQz\n"
    "NlowVDAvAhAzp0g6wW4J+62tVETbRg3dFw0yNjExMzAwNDA0MzZaMAwwCgYDVR0V\n"
    "BAMKAQEwIQIQdp6KDm9cUL1PELVZzqya3RcNMjYxMTMwMDQwNDM1WqAvMC0wHwYD\n"
    "VR0jBBgwFoAUkombTJ+XRe016yF0saZyaaVgcmEwCgYDVR0UBAMCAQMwCgYIKoZI\n"
    "zj0EAwIDSAAwRQIhALyVwbQLhrwOjImXwdpcNAjBTjTe1R6ZbhxVMnJwGseCAiAL\n"
    "Z5Nkzvw6m5L9vdECc4ha/59DLAEgN0TJI3+PZeZY8w==\n"
    "-----END X509 CRL-----\n";

/* CRL number 4, thisUpdate 2099-01-01, nextUpdate 2099-02-01. */
static const char CRL_FUTURE[] =
    "-----BEGIN X509 CRL-----\n"
    "MIIBPjCB5gIBATAKBggqhkjOPQQDAjAsMRAwDgYDVQQKDAdjb3Vwb25kMRgwFgYD\n"
    "VQQDDA9jb3Vwb25kIGZ1enogQ0EYDzIwOTkwMTAxMDAwMDAwWhgPMjA5OTAyMDEw\n"
    "MDAwMDBaMFQwLwIQM6dIOsFuCfutrVRE20YN3RcNMjYxMTMwMDQwNDM2WjAMMAoG\n"
    "A1UdFQQDCgEBMCECEHaeig5vXFC9TxC1Wc6smt0XDTI2MTEzMDA0MDQzNVqgLzAt\n"
    "MB8GA1UdIwQYMBaAFJKJm0yfl0XtNeshdLGmcmmlYHJhMAoGA1UdFAQDAgEEMAoG\n"
    "CCqGSM49BAMCA0cAMEQCIEBKE9oij2QSbtoU0cS2RBDSPNFpYEYIpv9iwgjAY5t3\n"
    "AiAgCt/C+ZqnamiOAabssllQbyCL37c6muHA4ofb7lGDlQ==\n"
    "-----END X509 CRL-----\n";

/* CRL number 5, thisUpdate 2020-01-01, nextUpdate 2020-02-01 (passed). */
static const char CRL_STALE[] =
    "-----BEGIN X509 CRL-----\n"
    "MIIBOjCB4gIBATAKBggqhkjOPQQDAjAsMRAwDgYDVQQKDAdjb3Vwb25kMRgwFgYD\n"
    "VQQDDA9jb3Vwb25kIGZ1enogQ0EXDTIwMDEwMTAwMDAwMFoXDTIwMDIwMTAwMDAw\n"
    "MFowVDAvAhAzp0g6wW4J+62tVETbRg3dFw0yNjExMzAwNDA0MzZaMAwwCgYDVR0V\n"
    "BAMKAQEwIQIQdp6KDm9cUL1PELVZzqya3RcNMjYxMTMwMDQwNDM1WqAvMC0wHwYD\n"
    "VR0jBBgwFoAUkombTJ+XRe016yF0saZyaaVgcmEwCgYDVR0UBAMCAQUwCgYIKoZI\n"
    "zj0EAwIDRwAwRAIgCraOEzC76u9LmI2ds9K1hAGNx7OFVbEJDGYFYox/n5gCIGeN\n"
    "IiOd9+Y8F8wSt567zymjcs1jXaW8a7TLMnO9ejaF\n"
    "-----END X509 CRL-----\n";

/* A CRL of another CA (O=coupond, CN=another CA). */
static const char CRL_FOREIGN[] =
    "-----BEGIN X509 CRL-----\n"
    "MIHgMIGHAgEBMAoGCCqGSM49BAMCMCcxEDAOBgNVBAoMB2NvdXBvbmQxEzARBgNV\n"
    "BAMMCmFub3RoZXIgQ0EXDTI2MTEzMDA0MDQzM1oXDTI2MTIzMDA0MDQzM1qgLzAt\n"
    "MB8GA1UdIwQYMBaAFNcB5caEcg40fJHybeoo7D+ctR4gMAoGA1UdFAQDAgEBMAoG\n"
    "CCqGSM49BAMCA0gAMEUCIQCOm77LcBWqdzxve9qEdTAwPxTQXz76h+RbtTH6VrKO\n"
    "ggIgfdUqCI8asrvVZL+WiCjDSZIu8C2gaN51x3RDY30WPYQ=\n"
    "-----END X509 CRL-----\n";

/* clang-format on */

#endif
