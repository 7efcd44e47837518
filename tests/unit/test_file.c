/* Unit tests for libcoupon's atomic file writer (lib/file.c): a new file with its mode, a
 * replaced file, an exclusive write that finds the name taken, a directory that is missing;
 * never a temporary file left behind. */
#include <dirent.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "coupon/file.h"

/* Reads DIR/NAME into BUF (NUL-terminated). Returns its length, or -1. */
static ssize_t slurp(const char *dir, const char *name, char *buf, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

/* The number of entries in DIR besides . and .. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static mode_t mode_of(const char *dir, const char *name)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 0777;
}

static void a_new_file_gets_its_content_and_mode(void **state)
{
    (void)state;
    char dir[] = "/tmp/cpn-file-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char buf[64];
    assert_int_equal(cpn_file_replace(dir, "a.txt", "hello\n", 6, 0640, false), CPN_OK);
    assert_int_equal(slurp(dir, "a.txt", buf, sizeof buf), 6);
    assert_string_equal(buf, "hello\n");
    assert_int_equal(mode_of(dir, "a.txt"), 0640);
    assert_int_equal(cpn_file_replace(dir, "empty", "", 0, 0600, true), CPN_OK);
    assert_int_equal(slurp(dir, "empty", buf, sizeof buf), 0);
    assert_int_equal(mode_of(dir, "empty"), 0600);
    assert_int_equal(entries(dir), 2); /* no temporary file left */
    char path[512];
    snprintf(path, sizeof path, "%s/a.txt", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/empty", dir);
    unlink(path);
    rmdir(dir);
}

static void a_replace_swaps_the_content_whole(void **state)
{
    (void)state;
    char dir[] = "/tmp/cpn-file-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char buf[64];
    assert_int_equal(cpn_file_replace(dir, "k", "old content", 11, 0644, false), CPN_OK);
    assert_int_equal(cpn_file_replace(dir, "k", "new", 3, 0600, false), CPN_OK);
    assert_int_equal(slurp(dir, "k", buf, sizeof buf), 3);
    assert_string_equal(buf, "new");
    assert_int_equal(mode_of(dir, "k"), 0600);
    assert_int_equal(entries(dir), 1);
    char path[512];
    snprintf(path, sizeof path, "%s/k", dir);
    unlink(path);
    rmdir(dir);
}

static void an_exclusive_write_leaves_a_taken_name_alone(void **state)
{
    (void)state;
    char dir[] = "/tmp/cpn-file-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char buf[64];
    assert_int_equal(cpn_file_replace(dir, "sign-1.key", "first", 5, 0600, true), CPN_OK);
    assert_int_equal(cpn_file_replace(dir, "sign-1.key", "second", 6, 0600, true),
                     CPN_ERR_CONFLICT);
    assert_int_equal(slurp(dir, "sign-1.key", buf, sizeof buf), 5);
    assert_string_equal(buf, "first");
    assert_int_equal(entries(dir), 1);
    char path[512];
    snprintf(path, sizeof path, "%s/sign-1.key", dir);
    unlink(path);
    rmdir(dir);
}

static void a_missing_directory_is_an_io_error(void **state)
{
    (void)state;
    errno = 0;
    assert_int_equal(cpn_file_replace("/nonexistent/cpn-dir", "x", "1", 1, 0600, false),
                     CPN_ERR_IO);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(cpn_file_sync_dir("/nonexistent/cpn-dir"), CPN_ERR_IO);
    char longname[5000];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(cpn_file_replace("/tmp", longname, "1", 1, 0600, false), CPN_ERR_IO);
    assert_int_equal(errno, ENAMETOOLONG);
}

static void write_all_writes_every_byte(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    static char big[60000];
    memset(big, 'x', sizeof big);
    if (fork() == 0) {
        close(fds[0]);
        _exit(cpn_file_write_all(fds[1], big, sizeof big) == 0 ? 0 : 1);
    }
    close(fds[1]);
    size_t got = 0;
    char buf[4096];
    for (ssize_t n = read(fds[0], buf, sizeof buf); n > 0; n = read(fds[0], buf, sizeof buf))
        got += (size_t)n;
    close(fds[0]);
    assert_int_equal(got, sizeof big);
    assert_int_equal(cpn_file_write_all(-1, "x", 1), -1);
    assert_int_equal(errno, EBADF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_new_file_gets_its_content_and_mode),
        cmocka_unit_test(a_replace_swaps_the_content_whole),
        cmocka_unit_test(an_exclusive_write_leaves_a_taken_name_alone),
        cmocka_unit_test(a_missing_directory_is_an_io_error),
        cmocka_unit_test(write_all_writes_every_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
