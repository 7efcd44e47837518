/* Unit tests of QR output: PNGs of signed and short forms decode back to the
 * same text with zbarimg, signed forms fit version 7, the SVG has the right
 * shape, bad input is refused, and rendering is safe from several threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "coupon/code.h"
#include "coupon/hex.h"
#include "coupon/keys.h"
#include "coupon/qr.h"

static const char SEED_HEX[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

static struct cpn_keyring *test_keyring(void)
{
    struct cpn_keyring *k = cpn_keyring_new();
    uint8_t seed[32], mac[32];

    assert_non_null(k);
    assert_int_equal(cpn_hex_decode(SEED_HEX, 64, seed, 32), CPN_OK);
    memset(mac, 0x5a, sizeof mac);
    assert_int_equal(cpn_keyring_add_sign_seed(k, 1, seed), CPN_OK);
    assert_int_equal(cpn_keyring_add_mac_key(k, 1, mac), CPN_OK);
    return k;
}

/* Writes an image (PNG or PGM) to a temporary file, decodes it with zbarimg
 * and returns the text it read (malloc'd, trailing newline removed). */
static char *zbar_decode(const uint8_t *png, size_t len)
{
    char path[] = "/tmp/cpn-qr-XXXXXX.img", cmd[128], *text = calloc(1, 1024);
    int fd = mkstemps(path, 4);
    FILE *p;
    size_t n;

    assert_non_null(text);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, png, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    snprintf(cmd, sizeof cmd, "zbarimg --raw -q '%s' 2>/dev/null", path);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(text, 1, 1023, p);
    text[n] = '\0';
    if (pclose(p) != 0)
        fail_msg("zbarimg could not read %s (is zbar-tools installed?)", path);
    unlink(path);
    if (n > 0 && text[n - 1] == '\n')
        text[n - 1] = '\0';
    return text;
}

static void expect_png_round_trip(const char *text, const struct cpn_qr_options *opts,
                                  int max_version)
{
    uint8_t *png = NULL;
    size_t len = 0;
    int version = 0;
    char *got;

    assert_int_equal(cpn_qr_png(text, opts, &png, &len, &version), CPN_OK);
    assert_true(len > 8);
    assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
    assert_true(version >= 1 && version <= max_version);
    got = zbar_decode(png, len);
    assert_string_equal(got, text);
    free(got);
    free(png);
}

static void png_of_signed_and_short_forms_decodes_to_the_same_text(void **state)
{
    struct cpn_keyring *k = test_keyring();
    const struct cpn_qr_options small = {.module_px = 3, .quiet_zone = 4};
    (void)state;

    for (uint32_t i = 0; i < 8; i++) {
        struct cpn_code c;
        char s[CPN_SHORT_LEN + 1], text[CPN_SIGNED_MAX_LEN + 1];

        assert_int_equal(cpn_code_issue(k, i == 7 ? CPN_KIND_CARD : CPN_KIND_COUPON,
                                        0x9e3779b9u * (i + 1), &c, s),
                         CPN_OK);
        if (c.kind == CPN_KIND_COUPON) {
            c.campaign = 1000 + i;
            c.expiry = 1767225600u + i;
            c.offer_kind = (enum cpn_offer_kind)(1 + i % 3);
            c.offer_value = 0xffffffffu - i;
            c.min_basket_cents = 0xffffffffu;
            c.bound_to_card = i % 2 == 1;
            c.card_serial = c.bound_to_card ? 0xfffffff0u + i : 0;
        }
        assert_int_equal(cpn_code_sign(k, &c, text, sizeof text, NULL), CPN_OK);
        /* Signed forms must fit version 7 at level M. */
        expect_png_round_trip(text, i % 2 ? &small : NULL, 7);
        expect_png_round_trip(s, NULL, 2);
    }
    cpn_keyring_free(k);
}

static void svg_has_a_viewbox_of_the_symbol_plus_quiet_zone(void **state)
{
    struct cpn_keyring *k = test_keyring();
    const struct cpn_qr_options opts = {.module_px = 5, .quiet_zone = 6};
    struct cpn_code c;
    char text[CPN_SIGNED_MAX_LEN + 1], want[96], *svg = NULL;
    size_t len = 0;
    int version = 0;
    unsigned n;
    (void)state;

    assert_int_equal(cpn_code_issue(k, CPN_KIND_COUPON, 1, &c, NULL), CPN_OK);
    c.offer_kind = CPN_OFFER_AMOUNT;
    c.bound_to_card = true;
    c.card_serial = 1;
    assert_int_equal(cpn_code_sign(k, &c, text, sizeof text, NULL), CPN_OK);
    assert_int_equal(cpn_qr_svg(text, NULL, &svg, &len, &version), CPN_OK);
    assert_true(version <= 7);
    n = 17 + 4 * (unsigned)version + 2 * CPN_QR_DEFAULT_QUIET_ZONE;
    assert_int_equal(strncmp(svg, "<svg ", 5), 0);
    assert_int_equal(strlen(svg), len);
    snprintf(want, sizeof want, "viewBox=\"0 0 %u %u\"", n, n);
    assert_non_null(strstr(svg, want));
    snprintf(want, sizeof want, "width=\"%u\"", n * CPN_QR_DEFAULT_MODULE_PX);
    assert_non_null(strstr(svg, want));
    assert_non_null(strstr(svg, "<path "));
    assert_string_equal(svg + len - 7, "</svg>\n");
    free(svg);

    assert_int_equal(cpn_qr_svg("4000-001W-4KPX-BQPE", &opts, &svg, NULL, &version), CPN_OK);
    n = 17 + 4 * (unsigned)version + 2 * 6;
    snprintf(want, sizeof want, "viewBox=\"0 0 %u %u\" width=\"%u\" height=\"%u\"", n, n, n * 5,
             n * 5);
    assert_non_null(strstr(svg, want));
    free(svg);
    cpn_keyring_free(k);
}

/* Rasterises the SVG's path (the subset cpn_qr_svg writes: "Mx yhNv1h-Nz"
 * rectangles) at 4 pixels per module into a PGM image, so that zbarimg can
 * check what the SVG draws. Returns malloc'd bytes. */
static uint8_t *svg_to_pgm(const char *svg, size_t *len)
{
    unsigned n = 0, x, y, run, back, px = 4;
    const char *d = strstr(svg, " d=\"");
    char header[32];
    uint8_t *img;
    int hl;

    assert_int_equal(sscanf(strstr(svg, "viewBox="), "viewBox=\"0 0 %u", &n), 1);
    hl = snprintf(header, sizeof header, "P5 %u %u 255\n", n * px, n * px);
    *len = (size_t)hl + (size_t)n * px * n * px;
    img = malloc(*len);
    assert_non_null(img);
    memcpy(img, header, (size_t)hl);
    memset(img + hl, 255, *len - (size_t)hl);
    assert_non_null(d);
    d += 4;
    while (*d == 'M') {
        int used = 0;
        assert_int_equal(sscanf(d, "M%u %uh%uv1h-%uz%n", &x, &y, &run, &back, &used), 4);
        assert_int_equal(run, back);
        assert_true(x + run <= n && y < n);
        for (unsigned py = y * px; py < (y + 1) * px; py++)
            memset(img + hl + (size_t)py * n * px + x * px, 0, run * px);
        d += used;
    }
    assert_int_equal(*d, '"');
    return img;
}

static void svg_draws_a_symbol_that_decodes_to_the_same_text(void **state)
{
    struct cpn_keyring *k = test_keyring();
    struct cpn_code c;
    char text[CPN_SIGNED_MAX_LEN + 1], *svg = NULL, *got;
    uint8_t *pgm;
    size_t len;
    (void)state;

    assert_int_equal(cpn_code_issue(k, CPN_KIND_COUPON, 31337, &c, NULL), CPN_OK);
    c.offer_kind = CPN_OFFER_PERCENT;
    c.offer_value = 20;
    assert_int_equal(cpn_code_sign(k, &c, text, sizeof text, NULL), CPN_OK);
    assert_int_equal(cpn_qr_svg(text, NULL, &svg, &len, NULL), CPN_OK);
    pgm = svg_to_pgm(svg, &len);
    got = zbar_decode(pgm, len);
    assert_string_equal(got, text);
    free(got);
    free(pgm);
    free(svg);
    cpn_keyring_free(k);
}

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void png_size_follows_module_size_and_quiet_zone(void **state)
{
    const struct cpn_qr_options opts = {.module_px = 7, .quiet_zone = 2};
    uint8_t *png = NULL;
    size_t len;
    int version;
    (void)state;

    assert_int_equal(cpn_qr_png("4000-001W-4KPX-BQPE", &opts, &png, &len, &version), CPN_OK);
    /* IHDR: width and height at bytes 16 and 20, bit depth 1, gray. */
    assert_memory_equal(png + 12, "IHDR", 4);
    assert_int_equal(be32(png + 16), (17 + 4 * (uint32_t)version + 4) * 7);
    assert_int_equal(be32(png + 20), (17 + 4 * (uint32_t)version + 4) * 7);
    assert_int_equal(png[24], 1);
    assert_int_equal(png[25], 0);
    free(png);
}

static void bad_text_and_options_are_refused(void **state)
{
    const struct cpn_qr_options zero_px = {.module_px = 0, .quiet_zone = 4};
    const struct cpn_qr_options wide = {.module_px = 4, .quiet_zone = 17};
    char *svg = (char *)1;
    uint8_t *png = (uint8_t *)1;
    size_t len;
    char big[CPN_QR_TEXT_MAX + 2];
    (void)state;

    assert_int_equal(cpn_qr_svg("4000-001w", NULL, &svg, &len, NULL), CPN_ERR_BAD_REQUEST);
    assert_null(svg);
    assert_int_equal(cpn_qr_svg("", NULL, &svg, &len, NULL), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_qr_svg(NULL, NULL, &svg, &len, NULL), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_qr_png("A\nB", NULL, &png, &len, NULL), CPN_ERR_BAD_REQUEST);
    assert_null(png);
    assert_int_equal(cpn_qr_png("ABC", &zero_px, &png, &len, NULL), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_qr_png("ABC", &wide, &png, &len, NULL), CPN_ERR_BAD_REQUEST);
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(cpn_qr_svg(big, NULL, &svg, &len, NULL), CPN_ERR_BAD_REQUEST);
    big[CPN_QR_TEXT_MAX] = '\0';
    assert_int_equal(cpn_qr_svg(big, NULL, &svg, &len, NULL), CPN_OK);
    free(svg);
}

struct render_job {
    char text[CPN_SIGNED_MAX_LEN + 1];
    int failures;
};

static void *render_many(void *arg)
{
    struct render_job *job = arg;

    for (int i = 0; i < 200; i++) {
        uint8_t *png = NULL;
        char *svg = NULL;
        size_t len;
        if (cpn_qr_png(job->text, NULL, &png, &len, NULL) != CPN_OK ||
            cpn_qr_svg(job->text, NULL, &svg, &len, NULL) != CPN_OK)
            job->failures++;
        free(png);
        free(svg);
    }
    return NULL;
}

static void bulk_rendering_from_two_threads_at_once(void **state)
{
    struct cpn_keyring *k = test_keyring();
    struct render_job jobs[2];
    pthread_t threads[2];
    (void)state;

    for (int t = 0; t < 2; t++) {
        struct cpn_code c;
        assert_int_equal(cpn_code_issue(k, CPN_KIND_CARD, (uint32_t)t, &c, NULL), CPN_OK);
        assert_int_equal(cpn_code_sign(k, &c, jobs[t].text, sizeof jobs[t].text, NULL), CPN_OK);
        jobs[t].failures = 0;
        assert_int_equal(pthread_create(&threads[t], NULL, render_many, &jobs[t]), 0);
    }
    for (int t = 0; t < 2; t++) {
        assert_int_equal(pthread_join(threads[t], NULL), 0);
        assert_int_equal(jobs[t].failures, 0);
    }
    cpn_keyring_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(png_of_signed_and_short_forms_decodes_to_the_same_text),
        cmocka_unit_test(svg_has_a_viewbox_of_the_symbol_plus_quiet_zone),
        cmocka_unit_test(svg_draws_a_symbol_that_decodes_to_the_same_text),
        cmocka_unit_test(png_size_follows_module_size_and_quiet_zone),
        cmocka_unit_test(bad_text_and_options_are_refused),
        cmocka_unit_test(bulk_rendering_from_two_threads_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
