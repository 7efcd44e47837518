/* Unit tests for the receipt printer (pos-client/printer.c, receipt_out.c): a file is appended
 * to; a printer device that fails (/dev/full), a FIFO nobody reads from, a FIFO whose reader has
 * stopped reading (paper out) and a directory each end in one sentence, promptly — the till never
 * waits for a printer longer than its limit; and a failed printout says that the sale is booked. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pos/i18n.h"
#include "pos/printer.h"
#include "pos/receipt_out.h"

static char dir[] = "/tmp/pos_printer_XXXXXX";

static int group_setup(void **state)
{
    (void)state;
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Milliseconds since some fixed point. */
static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void a_file_is_appended_to(void **state)
{
    (void)state;
    char path[128], why[256] = "";
    snprintf(path, sizeof path, "%s/printer.bin", dir);
    assert_int_equal(
        pos_printer_write(path, (const uint8_t *)"\x1b@one\n", 6, 1000, why, sizeof why), CPN_OK);
    assert_int_equal(pos_printer_write(path, (const uint8_t *)"two\n", 4, 1000, why, sizeof why),
                     CPN_OK);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char buf[32];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(n, 10);
    assert_memory_equal(buf, "\x1b@one\ntwo\n", 10);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void a_device_that_fails_says_so(void **state)
{
    (void)state;
    char why[256] = "";
    /* /dev/full: a character device whose every write fails with ENOSPC. */
    assert_int_equal(
        pos_printer_write("/dev/full", (const uint8_t *)"\x1b@x\n", 4, 1000, why, sizeof why),
        CPN_ERR_IO);
    assert_non_null(strstr(why, "/dev/full"));
    assert_non_null(strstr(why, strerror(ENOSPC)));
}

static void a_fifo_nobody_reads_fails_at_once(void **state)
{
    (void)state;
    char path[128], why[256] = "";
    snprintf(path, sizeof path, "%s/noreader", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    long long t0 = now_ms();
    assert_int_equal(pos_printer_write(path, (const uint8_t *)"x", 1, 5000, why, sizeof why),
                     CPN_ERR_IO);
    assert_true(now_ms() - t0 < 1000); /* not waiting for a reader */
    assert_non_null(strstr(why, "not there or not ready"));
}

static void a_printer_that_stops_taking_bytes_times_out(void **state)
{
    (void)state;
    char path[128], why[256] = "";
    snprintf(path, sizeof path, "%s/stuck", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    /* A reader that never reads: the pipe fills up (64 KiB), as a printer out of paper does. */
    int reader = open(path, O_RDONLY | O_NONBLOCK);
    assert_true(reader >= 0);
    size_t len = 1 << 20;
    uint8_t *data = calloc(1, len);
    assert_non_null(data);
    long long t0 = now_ms();
    assert_int_equal(pos_printer_write(path, data, len, 300, why, sizeof why), CPN_ERR_TIMEOUT);
    long long took = now_ms() - t0;
    assert_true(took >= 250 && took < 2000);
    assert_non_null(strstr(why, "within 300 ms"));
    free(data);
    close(reader);
}

static void a_directory_is_no_printer(void **state)
{
    (void)state;
    char why[256] = "";
    assert_int_equal(pos_printer_write(dir, (const uint8_t *)"x", 1, 1000, why, sizeof why),
                     CPN_ERR_IO);
    assert_non_null(strstr(why, "cannot be opened"));
}

static void a_failed_printout_says_the_sale_is_booked(void **state)
{
    (void)state;
    pos_i18n_set(POS_LANG_EN);
    struct pos_receipt r;
    memset(&r, 0, sizeof r);
    r.balance = -1;
    r.has_total = true;
    r.total_cents = 1000;
    snprintf(r.coupons[0].code, sizeof r.coupons[0].code, "4000-0016-P1ND-HYCE");
    r.coupons[0].discount_cents = 250;
    r.n_coupons = 1;
    char text_path[128];
    snprintf(text_path, sizeof text_path, "%s/receipt.txt", dir);
    char *said = NULL;
    size_t len = 0;
    FILE *say = open_memstream(&said, &len);
    assert_non_null(say);
    assert_false(pos_receipt_print("/dev/full", text_path, &r, say));
    fclose(say);
    assert_non_null(strstr(said, "PRINTER: the receipt was not printed: the printer /dev/full"));
    assert_non_null(strstr(said, "The sale is booked all the same"));
    free(said);
    /* The text went out before the printer failed. */
    FILE *f = fopen(text_path, "r");
    assert_non_null(f);
    char buf[2048];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "Coupon 4000-0016-P1ND-HYCE       -2.50 EUR"));
    /* Nothing asked for: nothing done, nothing said. */
    assert_true(pos_receipt_print(NULL, NULL, &r, stderr));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_file_is_appended_to),
        cmocka_unit_test(a_device_that_fails_says_so),
        cmocka_unit_test(a_fifo_nobody_reads_fails_at_once),
        cmocka_unit_test(a_printer_that_stops_taking_bytes_times_out),
        cmocka_unit_test(a_directory_is_no_printer),
        cmocka_unit_test(a_failed_printout_says_the_sale_is_booked),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
