/* Unit tests for the POS client's till journal: begin lines are on disk before the call, a retry
 * after a time-out finds the pending txn_id again, and finished or torn entries are not reused. */
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

#include "../../pos-client/journal.h" /* by path: service/ is on the path too */

static char tmpdir[] = "/tmp/test_pos_journal.XXXXXX";
static char state_dir[256];
static char journal_path[300];

/* Before each test: STATE_DIR (a not yet existing directory below TMPDIR) is removed. */
static int setup(void **state)
{
    (void)state;
    unlink(journal_path);
    rmdir(state_dir);
    return 0;
}

/* Returns the journal's whole text (the caller frees it), or NULL when there is none. */
static char *read_journal(void)
{
    FILE *f = fopen(journal_path, "r");
    if (f == NULL)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

/* Appends TEXT to the journal as is (to fake a torn or foreign line). */
static void append_raw(const char *text)
{
    FILE *f = fopen(journal_path, "a");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void begin_returns_fresh_random_txn_ids(void **state)
{
    (void)state;
    char a[POS_TXN_ID_SIZE], b[POS_TXN_ID_SIZE];
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "ABCD-EFGH", 1234, a), CPN_OK);
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "ABCD-EFGH", 1234, b), CPN_OK);
    assert_int_equal(strlen(a), 33);
    assert_int_equal(a[0], 'T');
    assert_int_equal(strspn(a + 1, "0123456789abcdef"), 32);
    assert_true(pos_journal_txn_id_valid(a));
    assert_string_not_equal(a, b);
}

static void begin_creates_private_state_dir_and_writes_line(void **state)
{
    (void)state;
    char id[POS_TXN_ID_SIZE];
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "ABCD-EFGH", 1234, id), CPN_OK);
    struct stat st;
    assert_int_equal(stat(state_dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(journal_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *text = read_journal();
    assert_non_null(text);
    char expect[128];
    snprintf(expect, sizeof expect, "begin\t%s\t", id);
    assert_memory_equal(text, expect, strlen(expect));
    assert_non_null(strstr(text, "Z\tredeem\tABCD-EFGH\t1234\n"));
    free(text);
}

static void retry_after_timeout_finds_pending_txn_id(void **state)
{
    (void)state;
    char id[POS_TXN_ID_SIZE], found[POS_TXN_ID_SIZE];
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "ABCD-EFGH", 1234, id), CPN_OK);
    assert_int_equal(pos_journal_find_pending(state_dir, "redeem", "ABCD-EFGH", 1234, found),
                     CPN_OK);
    assert_string_equal(found, id);
}

static void pending_for_other_code_basket_or_kind_is_not_found(void **state)
{
    (void)state;
    char id[POS_TXN_ID_SIZE], found[POS_TXN_ID_SIZE];
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "ABCD-EFGH", 1234, id), CPN_OK);
    assert_int_equal(pos_journal_find_pending(state_dir, "redeem", "ABCD-EFGH", 1235, found),
                     CPN_ERR_NOT_FOUND);
    assert_string_equal(found, "");
    assert_int_equal(pos_journal_find_pending(state_dir, "redeem", "ABCD-EFGX", 1234, found),
                     CPN_ERR_NOT_FOUND);
    assert_int_equal(pos_journal_find_pending(state_dir, "earn", "ABCD-EFGH", 1234, found),
                     CPN_ERR_NOT_FOUND);
}

static void finished_entry_is_not_reused(void **state)
{
    (void)state;
    char id[POS_TXN_ID_SIZE], found[POS_TXN_ID_SIZE];
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "ABCD-EFGH", 1234, id), CPN_OK);
    assert_int_equal(pos_journal_finish(state_dir, id, "ok redemption 42"), CPN_OK);
    assert_int_equal(pos_journal_find_pending(state_dir, "redeem", "ABCD-EFGH", 1234, found),
                     CPN_ERR_NOT_FOUND);
    char *text = read_journal();
    char expect[128];
    snprintf(expect, sizeof expect, "\nfinish\t%s\t", id);
    assert_non_null(strstr(text, expect));
    assert_non_null(strstr(text, "Z\tok redemption 42\n"));
    free(text);
}

static void latest_pending_entry_wins(void **state)
{
    (void)state;
    char first[POS_TXN_ID_SIZE], second[POS_TXN_ID_SIZE], third[POS_TXN_ID_SIZE];
    char found[POS_TXN_ID_SIZE];
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "C1", 500, first), CPN_OK);
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "C1", 500, second), CPN_OK);
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "C1", 500, third), CPN_OK);
    assert_int_equal(pos_journal_finish(state_dir, third, "already_redeemed"), CPN_OK);
    assert_int_equal(pos_journal_find_pending(state_dir, "redeem", "C1", 500, found), CPN_OK);
    assert_string_equal(found, second);
}

static void no_journal_means_nothing_pending(void **state)
{
    (void)state;
    char found[POS_TXN_ID_SIZE];
    assert_int_equal(pos_journal_find_pending(state_dir, "redeem", "C1", 500, found),
                     CPN_ERR_NOT_FOUND);
}

static void given_txn_id_is_recorded(void **state)
{
    (void)state;
    char found[POS_TXN_ID_SIZE];
    assert_int_equal(pos_journal_record_begin(state_dir, "till7-000123", "burn", "CARD9", 300),
                     CPN_OK);
    assert_int_equal(pos_journal_find_pending(state_dir, "burn", "CARD9", 300, found), CPN_OK);
    assert_string_equal(found, "till7-000123");
}

static void fields_that_would_break_a_line_are_refused(void **state)
{
    (void)state;
    char id[POS_TXN_ID_SIZE];
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "AB\tCD", 1, id), CPN_ERR_BAD_REQUEST);
    assert_string_equal(id, "");
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "AB\nCD", 1, id), CPN_ERR_BAD_REQUEST);
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "", 1, id), CPN_ERR_BAD_REQUEST);
    assert_int_equal(pos_journal_begin(state_dir, "Redeem", "ABCD", 1, id), CPN_ERR_BAD_REQUEST);
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "ABCD", -1, id), CPN_ERR_BAD_REQUEST);
    assert_int_equal(pos_journal_record_begin(state_dir, "T 1", "redeem", "ABCD", 1),
                     CPN_ERR_BAD_REQUEST);
    assert_int_equal(pos_journal_finish(state_dir, "", "ok"), CPN_ERR_BAD_REQUEST);
    assert_int_equal(pos_journal_finish(state_dir, "T1", "ok\tmore"), CPN_ERR_BAD_REQUEST);
    assert_null(read_journal());
}

static void torn_last_line_does_not_hide_the_next_entry(void **state)
{
    (void)state;
    char id[POS_TXN_ID_SIZE], found[POS_TXN_ID_SIZE];
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "OLD", 100, id), CPN_OK);
    append_raw("finish\tT00"); /* a power cut in the middle of a line */
    assert_int_equal(pos_journal_begin(state_dir, "redeem", "NEW", 200, id), CPN_OK);
    assert_int_equal(pos_journal_find_pending(state_dir, "redeem", "NEW", 200, found), CPN_OK);
    assert_string_equal(found, id);
    assert_int_equal(pos_journal_find_pending(state_dir, "redeem", "OLD", 100, found), CPN_OK);
}

static void unreadable_lines_are_skipped(void **state)
{
    (void)state;
    char found[POS_TXN_ID_SIZE];
    assert_int_equal(mkdir(state_dir, 0700), 0);
    append_raw("garbage\n"
               "begin\tT1\t2026-01-01T00:00:00Z\tredeem\tC1\tnot-a-number\n"
               "begin\tT2\t2026-01-01T00:00:00Z\tredeem\tC1\t500\textra\n"
               "begin\tbad id\t2026-01-01T00:00:00Z\tredeem\tC1\t500\n"
               "begin\tT3\t2026-01-01T00:00:00Z\tredeem\tC1\t500\n");
    assert_int_equal(pos_journal_find_pending(state_dir, "redeem", "C1", 500, found), CPN_OK);
    assert_string_equal(found, "T3");
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    snprintf(state_dir, sizeof state_dir, "%s/state", tmpdir);
    snprintf(journal_path, sizeof journal_path, "%s/" POS_JOURNAL_FILE, state_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(begin_returns_fresh_random_txn_ids, setup),
        cmocka_unit_test_setup(begin_creates_private_state_dir_and_writes_line, setup),
        cmocka_unit_test_setup(retry_after_timeout_finds_pending_txn_id, setup),
        cmocka_unit_test_setup(pending_for_other_code_basket_or_kind_is_not_found, setup),
        cmocka_unit_test_setup(finished_entry_is_not_reused, setup),
        cmocka_unit_test_setup(latest_pending_entry_wins, setup),
        cmocka_unit_test_setup(no_journal_means_nothing_pending, setup),
        cmocka_unit_test_setup(given_txn_id_is_recorded, setup),
        cmocka_unit_test_setup(fields_that_would_break_a_line_are_refused, setup),
        cmocka_unit_test_setup(torn_last_line_does_not_hide_the_next_entry, setup),
        cmocka_unit_test_setup(unreadable_lines_are_skipped, setup),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    setup(NULL);
    rmdir(tmpdir);
    return failed;
}
