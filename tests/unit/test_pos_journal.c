/* Unit tests for the POS client's till journal: begin lines are on disk (after a header) before
 * the call; an identical new call gets a new txn id while the unanswered one stays pending until a
 * finish line closes it; torn, foreign and version 1 lines are read safely; compaction keeps the
 * file bounded, keeps every pending entry and every resolved one (in journal.d/), survives a crash
 * between its steps, and does not lose a line of concurrent writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pos/journal_file.h"

static char tmpdir[] = "/tmp/test_pos_journal.XXXXXX";
static char state_dir[256];
static char journal_path[300];

/* Before each test: STATE_DIR (a not yet existing directory below TMPDIR) is removed. */
static int setup(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", state_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Returns the journal's whole text (the caller frees it), or NULL when there is none. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 20;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Appends TEXT to the journal as is (to fake a torn or foreign line). */
static void append_raw(const char *text)
{
    mkdir(state_dir, 0700);
    FILE *f = fopen(journal_path, "a");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* An entry of KIND for SUBJECT over AMOUNT with CARD (NULL: none). */
static struct pos_journal_entry entry(const char *kind, const char *subject, int64_t amount,
                                      const char *card)
{
    struct pos_journal_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.kind, sizeof e.kind, "%s", kind);
    snprintf(e.subject, sizeof e.subject, "%s", subject);
    snprintf(e.card, sizeof e.card, "%s", card != NULL ? card : "");
    e.amount = amount;
    return e;
}

/* Loads the journal into *S (the caller frees it). */
static void load(struct pos_journal_state *s)
{
    assert_int_equal(pos_journal_load(state_dir, s), CPN_OK);
}

/* Returns the size of the file PATH (-1 when missing). */
static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void begin_returns_fresh_random_txn_ids(void **state)
{
    (void)state;
    struct pos_journal_entry a = entry("redeem", "ABCD-EFGH", 1234, NULL), b = a;
    assert_int_equal(pos_journal_begin(state_dir, &a), CPN_OK);
    assert_int_equal(pos_journal_begin(state_dir, &b), CPN_OK);
    assert_int_equal(strlen(a.txn_id), 33);
    assert_int_equal(a.txn_id[0], 'T');
    assert_int_equal(strspn(a.txn_id + 1, "0123456789abcdef"), 32);
    assert_true(pos_journal_txn_id_valid(a.txn_id));
    assert_string_not_equal(a.txn_id, b.txn_id);
}

static void begin_creates_private_state_dir_with_header_and_line(void **state)
{
    (void)state;
    struct pos_journal_entry e = entry("redeem", "ABCD-EFGH", 1234, "M000-44JZ-70ZM-V9BW");
    assert_int_equal(pos_journal_begin(state_dir, &e), CPN_OK);
    struct stat st;
    assert_int_equal(stat(state_dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(journal_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *text = read_file(journal_path);
    assert_non_null(text);
    assert_memory_equal(text, "journal\t3\t1\t", 12);
    char expect[256];
    snprintf(expect, sizeof expect,
             "\nbegin\t%s\t%s\tredeem\tABCD-EFGH\t1234\tM000-44JZ-70ZM-V9BW\tn=2\th=", e.txn_id,
             e.time);
    assert_non_null(strstr(text, expect));
    free(text);
}

static void unanswered_call_stays_pending_with_its_request(void **state)
{
    (void)state;
    struct pos_journal_entry e = entry("redeem", "ABCD-EFGH", 1234, "CARD1");
    assert_int_equal(pos_journal_begin(state_dir, &e), CPN_OK);
    struct pos_journal_state s;
    load(&s);
    assert_int_equal(s.n_pending, 1);
    const struct pos_journal_entry *p = pos_journal_find(&s, e.txn_id);
    assert_non_null(p);
    assert_true(pos_journal_same_request(p, &e));
    assert_string_equal(p->time, e.time);
    assert_string_equal(p->card, "CARD1");
    pos_journal_state_free(&s);
}

static void identical_new_call_gets_its_own_txn_and_both_stay_pending(void **state)
{
    (void)state;
    struct pos_journal_entry first = entry("earn", "M000-44JZ-70ZM-V9BW", 350, NULL);
    struct pos_journal_entry second = first;
    assert_int_equal(pos_journal_begin(state_dir, &first), CPN_OK);
    assert_int_equal(pos_journal_begin(state_dir, &second), CPN_OK);
    assert_string_not_equal(first.txn_id, second.txn_id);
    struct pos_journal_state s;
    load(&s);
    assert_int_equal(s.n_pending, 2);
    assert_string_equal(s.pending[0].txn_id, first.txn_id); /* in the order begun */
    assert_string_equal(s.pending[1].txn_id, second.txn_id);
    pos_journal_state_free(&s);
}

static void finished_entry_is_not_pending_and_a_new_begin_reopens_it(void **state)
{
    (void)state;
    struct pos_journal_entry e = entry("redeem", "ABCD-EFGH", 1234, NULL);
    assert_int_equal(pos_journal_begin(state_dir, &e), CPN_OK);
    assert_int_equal(pos_journal_finish(state_dir, e.txn_id, "redeemed 42 201", false), CPN_OK);
    struct pos_journal_state s;
    load(&s);
    assert_int_equal(s.n_pending, 0);
    assert_int_equal(s.finished, 1);
    assert_null(pos_journal_find(&s, e.txn_id));
    pos_journal_state_free(&s);
    char *text = read_file(journal_path);
    char expect[128];
    snprintf(expect, sizeof expect, "\nfinish\t%s\t", e.txn_id);
    assert_non_null(strstr(text, expect));
    assert_non_null(strstr(text, "Z\tredeemed 42 201\tn=3\th="));
    free(text);
    /* The same txn sent again (a till's own --txn): pending until answered again. */
    assert_int_equal(pos_journal_record_begin(state_dir, &e), CPN_OK);
    load(&s);
    assert_non_null(pos_journal_find(&s, e.txn_id));
    pos_journal_state_free(&s);
}

static void no_journal_means_nothing_pending_and_nothing_created(void **state)
{
    (void)state;
    struct pos_journal_state s;
    load(&s);
    assert_int_equal(s.n_pending, 0);
    pos_journal_state_free(&s);
    assert_int_equal(access(state_dir, F_OK), -1);
}

static void fields_that_would_break_a_line_are_refused(void **state)
{
    (void)state;
    struct pos_journal_entry e = entry("redeem", "AB\tCD", 1, NULL);
    assert_int_equal(pos_journal_begin(state_dir, &e), CPN_ERR_BAD_REQUEST);
    assert_string_equal(e.txn_id, "");
    e = entry("redeem", "AB\nCD", 1, NULL);
    assert_int_equal(pos_journal_begin(state_dir, &e), CPN_ERR_BAD_REQUEST);
    e = entry("redeem", "", 1, NULL);
    assert_int_equal(pos_journal_begin(state_dir, &e), CPN_ERR_BAD_REQUEST);
    e = entry("Redeem", "ABCD", 1, NULL);
    assert_int_equal(pos_journal_begin(state_dir, &e), CPN_ERR_BAD_REQUEST);
    e = entry("redeem", "ABCD", -1, NULL);
    assert_int_equal(pos_journal_begin(state_dir, &e), CPN_ERR_BAD_REQUEST);
    e = entry("redeem", "ABCD", 1, "-");
    assert_int_equal(pos_journal_begin(state_dir, &e), CPN_ERR_BAD_REQUEST);
    e = entry("redeem", "ABCD", 1, "A CARD");
    assert_int_equal(pos_journal_begin(state_dir, &e), CPN_ERR_BAD_REQUEST);
    e = entry("redeem", "ABCD", 1, NULL);
    snprintf(e.txn_id, sizeof e.txn_id, "T 1");
    assert_int_equal(pos_journal_record_begin(state_dir, &e), CPN_ERR_BAD_REQUEST);
    assert_int_equal(pos_journal_finish(state_dir, "", "ok", false), CPN_ERR_BAD_REQUEST);
    assert_int_equal(pos_journal_finish(state_dir, "T1", "ok\tmore", false), CPN_ERR_BAD_REQUEST);
    assert_null(read_file(journal_path));
}

static void torn_last_line_is_never_read_as_a_record(void **state)
{
    (void)state;
    struct pos_journal_entry old = entry("redeem", "OLD", 100, NULL);
    assert_int_equal(pos_journal_begin(state_dir, &old), CPN_OK);
    assert_int_equal(pos_journal_finish(state_dir, old.txn_id, "redeemed 1 201", false), CPN_OK);
    /* A power cut while writing a begin line: its amount cut short, its call never sent. */
    append_raw("begin\tTtorn\t2026-01-01T00:00:00Z\tredeem\tC1\t50");
    struct pos_journal_state s;
    load(&s);
    assert_int_equal(s.n_pending, 0);
    pos_journal_state_free(&s);
    struct pos_journal_entry next = entry("redeem", "NEW", 200, NULL);
    assert_int_equal(pos_journal_begin(state_dir, &next), CPN_OK);
    load(&s);
    assert_int_equal(s.n_pending, 1);
    assert_string_equal(s.pending[0].txn_id, next.txn_id);
    assert_null(pos_journal_find(&s, "Ttorn"));
    pos_journal_state_free(&s);
    char *text = read_file(journal_path);
    assert_non_null(strstr(text, "\tC1\t50\x7f\nbegin\t"));
    free(text);
}

static void unreadable_lines_are_skipped(void **state)
{
    (void)state;
    append_raw("garbage\n"
               "begin\tT1\t2026-01-01T00:00:00Z\tredeem\tC1\tnot-a-number\n"
               "begin\tT2\t2026-01-01T00:00:00Z\tredeem\tC1\t-5\t-\n"
               "begin\tbad id\t2026-01-01T00:00:00Z\tredeem\tC1\t500\t-\n"
               "begin\tT4\t2026-01-01T00:00:00Z\tRedeem\tC1\t500\t-\n"
               "begin\tT5\t2026-01-01T00:00:00Z\tredeem\tC1\t500\t\n"
               "begin\tT6\t2026-01-01T00:00:00Z\tredeem\tC1\t5000000000000000000\t-\n"
               "begin\tT7\t2026-01-01T00:00:00Z\tredeem\tC\x01\t500\t-\n"
               "journal\t2\t9\t2026-01-01T00:00:00Z\t0\n" /* a header not in the first line */
               "begin\tT3\t2026-01-01T00:00:00Z\tredeem\tC1\t500\t-\tlater=field\n");
    struct pos_journal_state s;
    load(&s);
    assert_int_equal(s.n_pending, 1);
    assert_string_equal(s.pending[0].txn_id, "T3");
    assert_string_equal(s.pending[0].card, "");
    assert_int_equal(s.skipped, 9);
    assert_false(s.has_header);
    pos_journal_state_free(&s);
}

static void version_1_journal_is_read(void **state)
{
    (void)state;
    append_raw("begin\tTa\t2026-01-01T00:00:00Z\tredeem\t4000-0016-P1ND-HYCE card M000-44JZ-70ZM-"
               "V9BW\t1234\n"
               "begin\tTb\t2026-01-01T00:00:01Z\tvoid\tredemption 17\t0\n"
               "begin\tTc\t2026-01-01T00:00:02Z\tcard_void\tcard transaction 9\t0\n"
               "begin\tTd\t2026-01-01T00:00:03Z\tearn\tM000-44JZ-70ZM-V9BW\t350\n"
               "finish\tTd\t2026-01-01T00:00:04Z\tearn 5 201\n"
               "begin\tTe\t2026-01-01T00:00:05Z\tvoid\tsomething else\t0\n");
    struct pos_journal_state s;
    load(&s);
    assert_int_equal(s.version, 1);
    assert_int_equal(s.n_pending, 3);
    assert_string_equal(s.pending[0].subject, "4000-0016-P1ND-HYCE");
    assert_string_equal(s.pending[0].card, "M000-44JZ-70ZM-V9BW");
    assert_int_equal(s.pending[0].amount, 1234);
    assert_string_equal(s.pending[1].kind, "void");
    assert_string_equal(s.pending[1].subject, "17");
    assert_string_equal(s.pending[2].kind, "card_void");
    assert_string_equal(s.pending[2].subject, "9");
    pos_journal_state_free(&s);
}

static void format_and_parse_round_trip(void **state)
{
    (void)state;
    struct pos_journal_entry e = entry("burn", "M000-44JZ-70ZM-V9BW", 500, NULL);
    snprintf(e.txn_id, sizeof e.txn_id, "till7-000123");
    snprintf(e.time, sizeof e.time, "2026-11-22T20:09:04Z");
    char line[POS_JOURNAL_LINE_SIZE];
    size_t n = pos_journal_format_begin(&e, line);
    assert_string_equal(line, "begin\ttill7-000123\t2026-11-22T20:09:04Z\tburn\tM000-44JZ-70ZM-"
                              "V9BW\t500\t-\n");
    struct pos_journal_state s;
    assert_int_equal(pos_journal_parse(line, n, &s), CPN_OK);
    assert_int_equal(s.n_pending, 1);
    assert_memory_equal(&s.pending[0], &e, sizeof e);
    pos_journal_state_free(&s);
}

static void a_receipt_id_round_trips_and_belongs_to_the_request(void **state)
{
    (void)state;
    struct pos_journal_entry e = entry("redeem", "4000-0016-P1ND-HYCE", 2590, NULL);
    snprintf(e.txn_id, sizeof e.txn_id, "T1");
    snprintf(e.time, sizeof e.time, "2026-11-22T20:09:04Z");
    snprintf(e.receipt, sizeof e.receipt, "R0123abc");
    char line[POS_JOURNAL_LINE_SIZE];
    size_t n = pos_journal_format_begin(&e, line);
    assert_string_equal(line,
                        "begin\tT1\t2026-11-22T20:09:04Z\tredeem\t4000-0016-P1ND-HYCE\t2590\t-"
                        "\tr=R0123abc\n");
    struct pos_journal_state s;
    assert_int_equal(pos_journal_parse(line, n, &s), CPN_OK);
    assert_int_equal(s.n_pending, 1);
    assert_memory_equal(&s.pending[0], &e, sizeof e);
    pos_journal_state_free(&s);
    /* The same coupon on another receipt is another request (a retry must send the same). */
    struct pos_journal_entry other = e;
    snprintf(other.receipt, sizeof other.receipt, "R9");
    assert_false(pos_journal_same_request(&e, &other));
    other.receipt[0] = '\0';
    assert_false(pos_journal_same_request(&e, &other));
    /* Fields a later version adds are passed over; a receipt that is no id is refused. */
    const char text[] = "begin\tT2\t2026-11-22T20:09:04Z\tredeem\tC1\t500\t-\tz=later\tr=R7\n"
                        "begin\tT3\t2026-11-22T20:09:04Z\tredeem\tC1\t500\t-\tr=bad id\n";
    assert_int_equal(pos_journal_parse(text, sizeof text - 1, &s), CPN_OK);
    assert_int_equal(s.n_pending, 1);
    assert_string_equal(s.pending[0].receipt, "R7");
    assert_int_equal(s.skipped, 1);
    pos_journal_state_free(&s);
    snprintf(e.receipt, sizeof e.receipt, "bad id");
    assert_int_equal(pos_journal_format_begin(&e, line), 0);
}

/* Returns the number of begin lines for TXN in the live journal and its archives. */
static int begins_everywhere(const char *txn)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "cat '%s'/journal.d/*.log '%s' 2>/dev/null | grep -c '^begin\t%.64s\t'", state_dir,
             journal_path, txn);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static void compaction_keeps_the_file_bounded_and_every_entry(void **state)
{
    (void)state;
    const long max = 4096;
    char kept[3][POS_TXN_ID_SIZE], all[300][POS_TXN_ID_SIZE];
    long long largest = 0;
    int compactions = 0;
    for (int i = 0; i < 300; i++) {
        char code[32];
        snprintf(code, sizeof code, "CODE-%d", i);
        struct pos_journal_entry e = entry("redeem", code, 100 + i, NULL);
        assert_int_equal(pos_journal_begin(state_dir, &e), CPN_OK);
        snprintf(all[i], sizeof all[i], "%s", e.txn_id);
        if (i % 100 == 7)
            snprintf(kept[i / 100], sizeof kept[0], "%s", e.txn_id); /* stays unanswered */
        else
            assert_int_equal(pos_journal_finish(state_dir, e.txn_id, "redeemed 1 201", false),
                             CPN_OK);
        bool done;
        assert_int_equal(pos_journal_compact(state_dir, max, &done), CPN_OK);
        compactions += done;
        long long size = file_size(journal_path);
        if (size > largest)
            largest = size;
    }
    /* Bounded: never more than the limit and the two lines written since the last check. */
    assert_true(largest <= max + 2 * 200);
    assert_true(compactions >= 10);
    struct pos_journal_state s;
    load(&s);
    assert_int_equal(s.n_pending, 3);
    assert_int_equal((int)s.generation, compactions + 1);
    for (int k = 0; k < 3; k++)
        assert_non_null(pos_journal_find(&s, kept[k]));
    pos_journal_state_free(&s);
    /* Nothing lost: every begin line is in the live file or in an archive. */
    for (int i = 0; i < 300; i += 37)
        assert_true(begins_everywhere(all[i]) >= 1);
    char archive[400];
    snprintf(archive, sizeof archive, "%s/journal.d/journal-1.log", state_dir);
    assert_true(file_size(archive) > max);
}

static void mostly_pending_journal_is_not_rewritten_on_every_call(void **state)
{
    (void)state;
    for (int i = 0; i < 60; i++) {
        struct pos_journal_entry e = entry("earn", "M000-44JZ-70ZM-V9BW", 100 + i, NULL);
        assert_int_equal(pos_journal_begin(state_dir, &e), CPN_OK);
    }
    bool done;
    assert_int_equal(pos_journal_compact(state_dir, 4096, &done), CPN_OK);
    assert_true(done);
    long long size = file_size(journal_path);
    assert_true(size > 4096); /* all 60 are pending: they all stay */
    assert_int_equal(pos_journal_compact(state_dir, 4096, &done), CPN_OK);
    assert_false(done);
    struct pos_journal_state s;
    load(&s);
    assert_int_equal(s.n_pending, 60);
    assert_int_equal(s.skipped, 0);
    pos_journal_state_free(&s);
}

static void compaction_after_a_crash_between_its_steps_loses_and_doubles_nothing(void **state)
{
    (void)state;
    struct pos_journal_entry e;
    for (int i = 0; i < 40; i++) {
        e = entry("burn", "M000-44JZ-70ZM-V9BW", 1 + i, NULL);
        assert_int_equal(pos_journal_begin(state_dir, &e), CPN_OK);
        if (i != 5)
            assert_int_equal(pos_journal_finish(state_dir, e.txn_id, "burn 1 201", false), CPN_OK);
    }
    /* The crash: the hard link into journal.d was made, journal.log not yet replaced. */
    char dir[300], archive[400], second[400];
    snprintf(dir, sizeof dir, "%s/journal.d", state_dir);
    snprintf(archive, sizeof archive, "%s/journal-1.log", dir);
    snprintf(second, sizeof second, "%s/journal-1-1.log", dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(link(journal_path, archive), 0);
    bool done;
    assert_int_equal(pos_journal_compact(state_dir, 4096, &done), CPN_OK);
    assert_true(done);
    assert_int_equal(access(second, F_OK), -1); /* the same generation is archived once */
    struct pos_journal_state s;
    load(&s);
    assert_int_equal(s.n_pending, 1);
    assert_int_equal(s.generation, 2);
    pos_journal_state_free(&s);
}

static void concurrent_writers_lose_no_line_across_compactions(void **state)
{
    (void)state;
    enum { WRITERS = 4, EACH = 40 };
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) {
            for (int i = 0; i < EACH; i++) {
                char subject[32];
                snprintf(subject, sizeof subject, "W%d-%d", w, i);
                struct pos_journal_entry e = entry("earn", subject, 1, NULL);
                if (pos_journal_begin(state_dir, &e) != CPN_OK ||
                    (i % 10 != 0 &&
                     pos_journal_finish(state_dir, e.txn_id, "earn 1 201", false) != CPN_OK) ||
                    pos_journal_compact(state_dir, 4096, NULL) != CPN_OK)
                    _exit(1);
            }
            _exit(0);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        int status;
        assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    struct pos_journal_state s;
    load(&s);
    assert_int_equal(s.n_pending, WRITERS * EACH / 10);
    assert_int_equal(s.skipped, 0);
    pos_journal_state_free(&s);
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "cat '%s'/journal.d/*.log '%s' | grep '^begin' | cut -f5 | sort -u | wc -l", state_dir,
             journal_path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int distinct = 0;
    assert_int_equal(fscanf(p, "%d", &distinct), 1);
    pclose(p);
    assert_int_equal(distinct, WRITERS * EACH);
    struct pos_journal_state after; /* and the chain holds across writers and generations */
    load(&after);
    assert_true(after.chained);
    assert_false(after.damaged);
    pos_journal_state_free(&after);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    snprintf(state_dir, sizeof state_dir, "%s/state", tmpdir);
    snprintf(journal_path, sizeof journal_path, "%s/" POS_JOURNAL_FILE, state_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(begin_returns_fresh_random_txn_ids, setup),
        cmocka_unit_test(a_receipt_id_round_trips_and_belongs_to_the_request),
        cmocka_unit_test_setup(begin_creates_private_state_dir_with_header_and_line, setup),
        cmocka_unit_test_setup(unanswered_call_stays_pending_with_its_request, setup),
        cmocka_unit_test_setup(identical_new_call_gets_its_own_txn_and_both_stay_pending, setup),
        cmocka_unit_test_setup(finished_entry_is_not_pending_and_a_new_begin_reopens_it, setup),
        cmocka_unit_test_setup(no_journal_means_nothing_pending_and_nothing_created, setup),
        cmocka_unit_test_setup(fields_that_would_break_a_line_are_refused, setup),
        cmocka_unit_test_setup(torn_last_line_is_never_read_as_a_record, setup),
        cmocka_unit_test_setup(unreadable_lines_are_skipped, setup),
        cmocka_unit_test_setup(version_1_journal_is_read, setup),
        cmocka_unit_test_setup(format_and_parse_round_trip, setup),
        cmocka_unit_test_setup(compaction_keeps_the_file_bounded_and_every_entry, setup),
        cmocka_unit_test_setup(mostly_pending_journal_is_not_rewritten_on_every_call, setup),
        cmocka_unit_test_setup(compaction_after_a_crash_between_its_steps_loses_and_doubles_nothing,
                               setup),
        cmocka_unit_test_setup(concurrent_writers_lose_no_line_across_compactions, setup),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    setup(NULL);
    rmdir(tmpdir);
    return failed;
}
