/* Unit tests for the QR export's tar writer (service/tar.c): the ustar header's fields and
 * checksum, padding to whole blocks, names that do not fit, and an archive made of its pieces
 * that GNU tar lists and extracts byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tar.h"

static void an_entry_has_a_ustar_header_and_whole_blocks(void **state)
{
    (void)state;
    size_t len = 0;
    char *e = tar_entry("4000-001N-TSG7-PKTJ.svg", "<svg/>", 6, &len);
    assert_non_null(e);
    assert_int_equal(len, 2 * TAR_BLOCK);
    assert_string_equal(e, "4000-001N-TSG7-PKTJ.svg");
    assert_string_equal(e + 100, "0000644");
    assert_string_equal(e + 124, "00000000006");
    assert_string_equal(e + 136, "00000000000");
    assert_int_equal(e[156], '0');
    assert_memory_equal(e + 257,
                        "ustar\0"
                        "00",
                        8);
    /* The checksum: the header's bytes with its own field counted as spaces. */
    unsigned sum = 0;
    for (size_t i = 0; i < TAR_BLOCK; i++)
        sum += i >= 148 && i < 156 ? ' ' : (unsigned char)e[i];
    assert_int_equal(strtoul(e + 148, NULL, 8), sum);
    assert_memory_equal(e + TAR_BLOCK, "<svg/>", 6);
    for (size_t i = TAR_BLOCK + 6; i < len; i++)
        assert_int_equal(e[i], 0);
    free(e);

    e = tar_entry("empty", "", 0, &len);
    assert_non_null(e);
    assert_int_equal(len, TAR_BLOCK);
    free(e);
    static char block[TAR_BLOCK];
    e = tar_entry("exact", block, sizeof block, &len);
    assert_non_null(e);
    assert_int_equal(len, 2 * TAR_BLOCK);
    free(e);
}

static void a_name_that_does_not_fit_is_refused(void **state)
{
    (void)state;
    char name[101];
    memset(name, 'a', 100);
    name[100] = '\0';
    size_t len = 7;
    assert_null(tar_entry(name, "x", 1, &len));
    name[99] = '\0';
    char *e = tar_entry(name, "x", 1, &len);
    assert_non_null(e);
    free(e);
    assert_null(tar_entry("", "x", 1, &len));
}

static void gnu_tar_reads_the_archive(void **state)
{
    (void)state;
    char dir[] = "/tmp/svc-tar-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], cmd[512];
    snprintf(path, sizeof path, "%s/qr.tar", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    static char big[1500];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    const char *names[] = {"A.png", "B.svg"};
    const void *data[] = {big, "<svg/>"};
    size_t sizes[] = {sizeof big, 6};
    for (int i = 0; i < 2; i++) {
        size_t len = 0;
        char *e = tar_entry(names[i], data[i], sizes[i], &len);
        assert_non_null(e);
        assert_int_equal(fwrite(e, 1, len, f), len);
        free(e);
    }
    size_t len = 0;
    char *end = tar_end(&len);
    assert_non_null(end);
    assert_int_equal(len, 2 * TAR_BLOCK);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(end[i], 0);
    assert_int_equal(fwrite(end, 1, len, f), len);
    free(end);
    assert_int_equal(fclose(f), 0);

    snprintf(cmd, sizeof cmd, "tar -tf '%s' 2>&1", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char listing[256] = "";
    size_t n = fread(listing, 1, sizeof listing - 1, p);
    listing[n] = '\0';
    assert_int_equal(pclose(p), 0);
    assert_string_equal(listing, "A.png\nB.svg\n");

    snprintf(cmd, sizeof cmd, "tar -xOf '%s' A.png", path);
    p = popen(cmd, "r");
    assert_non_null(p);
    static char back[2000];
    n = fread(back, 1, sizeof back, p);
    assert_int_equal(pclose(p), 0);
    assert_int_equal(n, sizeof big);
    assert_memory_equal(back, big, sizeof big);

    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_entry_has_a_ustar_header_and_whole_blocks),
        cmocka_unit_test(a_name_that_does_not_fit_is_refused),
        cmocka_unit_test(gnu_tar_reads_the_archive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
