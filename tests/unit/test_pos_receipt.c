/* Unit tests for the receipt block and its printout: a fixed German receipt (two coupons, points
 * burned and earned, a bounce-back coupon, a receipt code) laid out and written as ESC/POS bytes
 * that must equal the committed golden file byte for byte (tests/unit/golden/pos_receipt_de.bin,
 * and its readable dump pos_receipt_de.hex as `od -A x -t x1z -v` writes it), and as text
 * (pos_receipt_de.txt, pos_receipt_en.txt); the QR code's payload read back from the printer
 * bytes, rendered to PNG by libcoupon's QR code (lib/qr.c) and decoded by zbarimg, is the
 * coupon's signed form. POS_GOLDEN_UPDATE=1 rewrites the golden files (then look at the diff). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pos/escpos.h"
#include "pos/i18n.h"
#include "pos/receipt.h"
#include "coupon/keys.h"
#include "coupon/qr.h"

static char golden_dir[1024];
static struct pos_receipt fixed;

/* Fills FIXED: a purchase of 64.90 with a 5.00 coupon and a 15 % coupon, 100 points burned, 49
 * earned, a new 10 % coupon (its signed form made with a fixed key, so the bytes never change)
 * and a receipt code. */
static int group_setup(void **state)
{
    (void)state;
    const char *file = __FILE__;
    const char *slash = strrchr(file, '/');
    snprintf(golden_dir, sizeof golden_dir, "%.*s/golden", slash != NULL ? (int)(slash - file) : 1,
             slash != NULL ? file : ".");
    uint8_t mac[CPN_MAC_KEY_BYTES], seed[CPN_SIGN_SEED_BYTES];
    for (size_t i = 0; i < sizeof mac; i++)
        mac[i] = (uint8_t)i;
    memset(seed, 7, sizeof seed);
    struct cpn_keyring *ring = cpn_keyring_new();
    if (ring == NULL || cpn_keyring_add_mac_key(ring, 1, mac) != CPN_OK ||
        cpn_keyring_add_sign_seed(ring, 1, seed) != CPN_OK)
        return -1;
    memset(&fixed, 0, sizeof fixed);
    snprintf(fixed.time, sizeof fixed.time, "2026-05-01T12:03:00Z");
    snprintf(fixed.txn, sizeof fixed.txn, "R0123456789abcdef0123456789abcdef");
    fixed.has_total = true;
    fixed.total_cents = 6490;
    struct cpn_code c;
    char code[CPN_SHORT_LEN + 1];
    if (cpn_code_issue(ring, CPN_KIND_COUPON, 1001, &c, code) != CPN_OK)
        return -1;
    snprintf(fixed.coupons[0].code, sizeof fixed.coupons[0].code, "%s", code);
    fixed.coupons[0].discount_cents = 500;
    if (cpn_code_issue(ring, CPN_KIND_COUPON, 1002, &c, code) != CPN_OK)
        return -1;
    snprintf(fixed.coupons[1].code, sizeof fixed.coupons[1].code, "%s", code);
    fixed.coupons[1].discount_cents = 899;
    fixed.n_coupons = 2;
    if (cpn_code_issue(ring, CPN_KIND_CARD, 4242, &c, code) != CPN_OK)
        return -1;
    snprintf(fixed.card, sizeof fixed.card, "%s", code);
    fixed.burned_points = 100;
    fixed.earned_points = 49;
    fixed.balance = 149;
    struct pos_next_coupon *n = &fixed.next[0];
    if (cpn_code_issue(ring, CPN_KIND_COUPON, 5005, &c, n->code) != CPN_OK)
        return -1;
    c.campaign = 9;
    c.expiry = 1798761600; /* 2027-01-01T00:00:00Z: valid through 2026-12-31 */
    c.offer_kind = CPN_OFFER_PERCENT;
    c.offer_value = 10;
    c.min_basket_cents = 2000;
    if (cpn_code_sign(ring, &c, n->signed_form, sizeof n->signed_form, NULL) != CPN_OK)
        return -1;
    fixed.n_next = 1;
    snprintf(n->valid_from, sizeof n->valid_from, "2026-05-02T00:00:00Z");
    snprintf(fixed.receipt_code, sizeof fixed.receipt_code,
             "RC0G4000005S9Q2R8H4XJ3TMAN7D0W6E1ZK5B8C2V9P3F4G7H1J6K0M8N2Q5R3S9T4V7W1X6Y0Z8A3B5C");
    snprintf(fixed.receipt_code_until, sizeof fixed.receipt_code_until, "2026-05-31T12:03:00Z");
    cpn_keyring_free(ring);
    /* The receipt's language and clock: German, UTC. */
    setenv("TZ", "UTC", 1);
    tzset();
    return 0;
}

/* Sets the till's language from the locale LOCALE (as LC_ALL). */
static void speak(const char *locale)
{
    unsetenv("LANGUAGE");
    unsetenv("LC_MESSAGES");
    unsetenv("LANG");
    setenv("LC_ALL", locale, 1);
    pos_i18n_init(NULL);
}

/* Fills N's offer as the till describes it in the language in use. */
static void describe_next(struct pos_next_coupon *n)
{
    struct pos_scan scan;
    const char *why;
    assert_int_equal(pos_scan_parse(n->signed_form, CPN_KIND_COUPON, &scan, &why), CPN_OK);
    pos_scan_describe(&scan.code, n->offer, sizeof n->offer);
}

/* Returns true when the N bytes at NEEDLE occur in the LEN bytes at HAY. */
static bool holds(const uint8_t *hay, size_t len, const char *needle, size_t n)
{
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return true;
    return false;
}

/* Reads the file PATH into *DATA (malloc'd) and *LEN. Returns false when it cannot be read. */
static bool slurp(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *more = realloc(buf, cap * 2);
            if (more == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = more;
            cap *= 2;
        }
    }
    fclose(f);
    *data = buf;
    *len = n;
    return buf != NULL;
}

/* Writes the LEN bytes at DATA to PATH. */
static void spill(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Compares the LEN bytes at DATA with the golden file NAME (rewritten under POS_GOLDEN_UPDATE).
 * On a difference, says where the first one is. */
static void matches_golden(const char *name, const void *data, size_t len)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", golden_dir, name);
    if (getenv("POS_GOLDEN_UPDATE") != NULL)
        spill(path, data, len);
    char *want = NULL;
    size_t want_len = 0;
    if (!slurp(path, &want, &want_len))
        fail_msg("cannot read the golden file %s", path);
    size_t at = 0;
    while (at < len && at < want_len && ((const char *)data)[at] == want[at])
        at++;
    free(want);
    if (at != len || at != want_len)
        fail_msg("%s: %zu bytes made, %zu in the golden file; the first difference is at byte %zu "
                 "(0x%zx)",
                 path, len, want_len, at, at);
}

/* Returns the output of the shell command CMD (malloc'd, NUL-terminated). */
static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    size_t got;
    while ((got = fread(out + n, 1, cap - 1 - n, p)) > 0)
        n += got;
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    return out;
}

/* The fixed receipt's ESC/POS bytes in German (the caller frees OUT->data). */
static void german_bytes(struct pos_bytes *out)
{
    speak("de_DE.UTF-8");
    assert_int_equal(pos_i18n_lang(), POS_LANG_DE);
    struct pos_receipt r = fixed;
    describe_next(&r.next[0]);
    struct pos_doc doc = {0};
    pos_receipt_doc(&r, &doc);
    assert_false(doc.failed);
    memset(out, 0, sizeof *out);
    assert_int_equal(pos_escpos_render(&doc, out), CPN_OK);
    pos_doc_free(&doc);
}

static void escpos_bytes_of_a_fixed_german_receipt_match_the_golden_file(void **state)
{
    (void)state;
    struct pos_bytes b;
    german_bytes(&b);
    /* ESC @, ESC t 19 (PC858), and the euro sign and umlauts in that code page. */
    assert_memory_equal(b.data, "\x1b@\x1bt\x13", 5);
    assert_true(holds(b.data, b.len, "64,90 \xd5", 7));
    assert_true(holds(b.data, b.len,
                      "f\x81r den n\x84"
                      "chsten Einkauf",
                      21));
    /* The QR commands: model 2, module size, level M, store, print; then the cut. */
    assert_true(holds(b.data, b.len,
                      "\x1d(k\x04\x00"
                      "1A2\x00",
                      9));
    assert_true(holds(b.data, b.len,
                      "\x1d(k\x03\x00"
                      "1E1",
                      8));
    assert_true(holds(b.data, b.len,
                      "\x1d(k\x03\x00"
                      "1Q0",
                      8));
    assert_memory_equal(b.data + b.len - 4, "\x1dV\x42\x00", 4);
    matches_golden("pos_receipt_de.bin", b.data, b.len);
    /* The readable dump is od's of the golden bytes, so the two never disagree. */
    char bin[1200], cmd[1300];
    snprintf(bin, sizeof bin, "%s/pos_receipt_de.bin", golden_dir);
    snprintf(cmd, sizeof cmd, "od -A x -t x1z -v '%s'", bin);
    char *dump = run(cmd);
    matches_golden("pos_receipt_de.hex", dump, strlen(dump));
    free(dump);
    free(b.data);
}

static void the_printed_qr_code_decodes_with_zbarimg_to_the_signed_form(void **state)
{
    (void)state;
    struct pos_bytes b;
    german_bytes(&b);
    char payload[CPN_QR_TEXT_MAX + 1];
    assert_true(pos_escpos_first_qr(b.data, b.len, payload, sizeof payload));
    assert_string_equal(payload, fixed.next[0].signed_form);
    free(b.data);
    uint8_t *png;
    size_t png_len;
    int version;
    assert_int_equal(cpn_qr_png(payload, NULL, &png, &png_len, &version), CPN_OK);
    assert_in_range(version, 1, 7); /* fits QR version 7 at level M, as SPEC.md says */
    char path[] = "/tmp/pos_receipt_qr_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, png, png_len), (ssize_t)png_len);
    close(fd);
    free(png);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "zbarimg --raw -q '%s' 2>/dev/null", path);
    char *read_back = run(cmd);
    unlink(path);
    size_t n = strlen(read_back);
    if (n > 0 && read_back[n - 1] == '\n')
        read_back[n - 1] = '\0';
    assert_string_equal(read_back, fixed.next[0].signed_form);
    free(read_back);
}

/* Writes the fixed receipt as text in the language of LOCALE and compares it with NAME. */
static void text_matches(const char *locale, const char *name)
{
    speak(locale);
    struct pos_receipt r = fixed;
    describe_next(&r.next[0]);
    struct pos_doc doc = {0};
    pos_receipt_doc(&r, &doc);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(pos_doc_text(&doc, f), CPN_OK);
    fclose(f);
    pos_doc_free(&doc);
    matches_golden(name, text, len);
    free(text);
}

static void text_of_the_fixed_receipt_in_german_and_english(void **state)
{
    (void)state;
    text_matches("de_DE.UTF-8", "pos_receipt_de.txt");
    text_matches("C.UTF-8", "pos_receipt_en.txt");
    assert_int_equal(pos_i18n_lang(), POS_LANG_EN);
}

static void text_lines_are_wrapped_to_the_paper_and_converted_to_pc858(void **state)
{
    (void)state;
    struct pos_doc doc = {0};
    pos_doc_line(
        &doc, POS_DOC_PLAIN,
        "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich – 5,00 € → fertig");
    pos_doc_columns(&doc, POS_DOC_PLAIN, "Summe", "64,90 €");
    assert_int_equal(doc.n, 3);
    for (size_t i = 0; i < doc.n; i++)
        assert_true(pos_utf8_width(doc.items[i].text) <= POS_DOC_WIDTH);
    assert_string_equal(doc.items[0].text, "Zwölf Boxkämpfer jagen Viktor quer über");
    assert_int_equal(pos_utf8_width(doc.items[2].text), POS_DOC_WIDTH);
    struct pos_bytes b = {0};
    assert_int_equal(pos_escpos_render(&doc, &b), CPN_OK);
    /* ö 0x94, ä 0x84, ü 0x81, ß 0xe1, – as '-', € 0xd5, → (not in PC858) as '?'. */
    assert_true(holds(b.data, b.len, "Zw\x94lf Boxk\x84mpfer", 16));
    assert_true(holds(b.data, b.len,
                      "gro\xe1"
                      "en",
                      6));
    assert_true(holds(b.data, b.len, "- 5,00 \xd5 ? fertig", 17));
    free(b.data);
    pos_doc_free(&doc);
}

static void a_qr_payload_too_long_for_escpos_is_refused(void **state)
{
    (void)state;
    static char big[POS_ESCPOS_QR_MAX + 2];
    memset(big, 'A', POS_ESCPOS_QR_MAX + 1);
    struct pos_doc doc = {0};
    pos_doc_qr(&doc, big);
    struct pos_bytes b = {0};
    assert_int_equal(pos_escpos_render(&doc, &b), CPN_ERR_BAD_REQUEST);
    free(b.data);
    pos_doc_free(&doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escpos_bytes_of_a_fixed_german_receipt_match_the_golden_file),
        cmocka_unit_test(the_printed_qr_code_decodes_with_zbarimg_to_the_signed_form),
        cmocka_unit_test(text_of_the_fixed_receipt_in_german_and_english),
        cmocka_unit_test(text_lines_are_wrapped_to_the_paper_and_converted_to_pc858),
        cmocka_unit_test(a_qr_payload_too_long_for_escpos_is_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
