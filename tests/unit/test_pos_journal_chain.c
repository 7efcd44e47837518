/* Unit tests for the till journal's SHA-256 chain and its offline entries: a chained journal
 * verifies (and its hashes are the documented ones, recomputed with sha256sum); an altered,
 * deleted or inserted line, a deleted last entry, a deleted header or a deleted journal.log are
 * each found and said in a sentence, with every entry still read; offline entries are open with
 * what the till gave, survive compaction with the chain going on, and a damaged journal is never
 * compacted; an older unchained journal is rotated out on the first write, its pending entries
 * carried into a chained generation. */
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

#include "pos/journal_chain.h"
#include "pos/journal_file.h"
#include "pos/journal_head.h"

static char tmpdir[] = "/tmp/test_pos_journal_chain.XXXXXX";
static char state_dir[256], journal_path[300], head_path[300];

/* Before each test: STATE_DIR is removed. */
static int setup(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", state_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Runs the shell command CMD (formatted) and asserts that it succeeds. */
__attribute__((format(printf, 1, 2))) static void shell(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    assert_int_equal(system(cmd), 0);
}

/* Begins a redeem of CODE for BASKET and returns its entry. */
static struct pos_journal_entry begin_redeem(const char *code, int64_t basket)
{
    struct pos_journal_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.kind, sizeof e.kind, "redeem");
    snprintf(e.subject, sizeof e.subject, "%s", code);
    e.amount = basket;
    assert_int_equal(pos_journal_begin(state_dir, &e), CPN_OK);
    return e;
}

/* Begins a redeem and accepts it offline with DISCOUNT of CAMPAIGN. */
static struct pos_journal_entry offline_redeem(const char *code, int64_t basket, int64_t discount,
                                               int64_t campaign)
{
    struct pos_journal_entry e = begin_redeem(code, basket);
    e.discount_cents = discount;
    e.campaign_id = campaign;
    e.maybe_sent = false;
    assert_int_equal(pos_journal_record_offline(state_dir, &e), CPN_OK);
    assert_true(e.offline);
    return e;
}

/* Loads the journal into *S. */
static void load(struct pos_journal_state *s)
{
    assert_int_equal(pos_journal_load(state_dir, s), CPN_OK);
}

static void chained_journal_holds_and_offline_entries_stay_open(void **state)
{
    (void)state;
    struct pos_journal_entry a = offline_redeem("CODE-A", 2500, 250, 7);
    struct pos_journal_entry b = begin_redeem("CODE-B", 1000);
    assert_int_equal(pos_journal_finish(state_dir, b.txn_id, "redeemed 9 201", false), CPN_OK);
    struct pos_journal_state s;
    load(&s);
    assert_true(s.chained);
    assert_false(s.damaged);
    assert_int_equal(s.first_seq, 1);
    assert_int_equal(s.last_seq, 5); /* header, begin, offline, begin, finish */
    assert_int_equal(s.n_pending, 1);
    assert_int_equal(s.n_offline, 1);
    const struct pos_journal_entry *p = pos_journal_find(&s, a.txn_id);
    assert_non_null(p);
    assert_true(p->offline);
    assert_false(p->maybe_sent);
    assert_int_equal(p->discount_cents, 250);
    assert_int_equal(p->campaign_id, 7);
    assert_string_equal(p->offline_at, a.offline_at);
    pos_journal_state_free(&s);
    /* journal.head is anchored at the offline line, the third. */
    struct pos_journal_anchor anchor;
    assert_int_equal(pos_journal_head_read(state_dir, &anchor), CPN_OK);
    assert_int_equal(anchor.seq, 3);
}

static void hashes_are_the_documented_ones(void **state)
{
    (void)state;
    (void)offline_redeem("CODE-A", 2500, 250, 7);
    /* For each line: sha256sum of the previous hash, a newline and the line up to "n=SEQ". */
    char script[400];
    snprintf(script, sizeof script, "%s/check.sh", tmpdir);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fputs("prev=$(printf '%064d' 0)\n"
          "while IFS= read -r line; do\n"
          "  body=${line%$'\\t'h=*} want=${line##*$'\\t'h=}\n"
          "  got=$(printf '%s\\n%s' \"$prev\" \"$body\" | sha256sum | cut -d' ' -f1)\n"
          "  [ \"$got\" = \"$want\" ] || { echo \"$body: $got, not $want\" >&2; exit 1; }\n"
          "  prev=$want n=$((n + 1))\n"
          "done < \"$1\"\n"
          "[ \"$n\" = 3 ]\n",
          f);
    assert_int_equal(fclose(f), 0);
    shell("bash '%s' '%s'", script, journal_path);
    unlink(script);
}

/* Loads the journal, which must be damaged with a sentence holding WHAT, and still list N_OPEN
 * open entries. */
static void expect_damage(const char *what, size_t n_open)
{
    struct pos_journal_state s;
    load(&s);
    assert_true(s.damaged);
    if (strstr(s.damage, what) == NULL)
        fail_msg("damage '%s' does not say '%s'", s.damage, what);
    assert_int_equal(s.n_pending, n_open);
    pos_journal_state_free(&s);
}

static void altered_entry_is_found(void **state)
{
    (void)state;
    (void)offline_redeem("CODE-A", 2500, 250, 7);
    (void)offline_redeem("CODE-B", 2500, 250, 7);
    /* The first offline line's discount changed from 250 to 150 (its hash left as it was). */
    shell("sed -i "
          "'0,/^offline\\t\\([^\\t]*\\)\\t\\([^\\t]*\\)\\t250/s//offline\\t\\1\\t\\2\\t150/' '%s'",
          journal_path);
    expect_damage("does not match its SHA-256 chain: it or the entry before it was altered", 2);
}

static void altered_entry_with_its_hash_recomputed_is_found_at_the_next(void **state)
{
    (void)state;
    (void)offline_redeem("CODE-A", 2500, 250, 7);
    (void)offline_redeem("CODE-B", 2500, 250, 7);
    /* Line 3 rewritten with a discount of 100 and a hash that fits it: line 4 no longer chains. */
    shell("f='%s'; prev=$(sed -n 2p \"$f\" | sed 's/.*\\th=//'); "
          "body=$(sed -n 3p \"$f\" | sed 's/\\th=.*//' | sed 's/\\t250\\t/\\t100\\t/'); "
          "h=$(printf '%%s\\n%%s' \"$prev\" \"$body\" | sha256sum | cut -d' ' -f1); "
          "sed -i \"3s/.*/$(printf '%%s\\th=%%s' \"$body\" \"$h\" | sed 's/\\t/\\\\t/g')/\" \"$f\"",
          journal_path);
    expect_damage("Entry n=4 (line 4 of the journal) does not match its SHA-256 chain", 2);
}

static void deleted_entry_is_found(void **state)
{
    (void)state;
    (void)offline_redeem("CODE-A", 2500, 250, 7);
    (void)offline_redeem("CODE-B", 2500, 250, 7);
    (void)offline_redeem("CODE-C", 2500, 250, 7);
    shell("sed -i 3d '%s'", journal_path); /* CODE-A's offline line */
    expect_damage("Entry n=4 (line 3 of the journal) follows entry n=2: 1 entry before it was "
                  "deleted.",
                  3);
}

static void deleted_last_entry_is_found_by_the_anchor(void **state)
{
    (void)state;
    (void)offline_redeem("CODE-A", 2500, 250, 7);
    (void)offline_redeem("CODE-B", 2500, 250, 7);
    shell("sed -i '$d' '%s'", journal_path); /* CODE-B's offline line, the last */
    expect_damage("The journal ends at entry n=4 but this till recorded entry n=5 (journal.head): "
                  "the last entries were deleted.",
                  2);
    shell("sed -i '$d' '%s'", journal_path); /* and its begin line too */
    expect_damage("the last entries were deleted", 1);
}

static void deleted_header_journal_or_head_is_found(void **state)
{
    (void)state;
    (void)offline_redeem("CODE-A", 2500, 250, 7);
    shell("cp '%s' '%s.bak' && sed -i 1d '%s'", journal_path, journal_path, journal_path);
    expect_damage("its header, is missing", 1);
    shell("mv '%s.bak' '%s' && printf 'garbage' > '%s'", journal_path, journal_path, head_path);
    expect_damage("journal.head, which anchors the journal's last entries, was altered.", 1);
    shell("rm '%s'", journal_path);
    struct pos_journal_anchor anchor = {.seq = 3};
    memcpy(anchor.hash, pos_journal_zero_hash, POS_HASH_SIZE);
    assert_int_equal(pos_journal_head_write(state_dir, &anchor), CPN_OK);
    expect_damage("journal.log is missing although this till recorded entry n=3", 0);
}

static void inserted_line_is_found(void **state)
{
    (void)state;
    (void)offline_redeem("CODE-A", 2500, 250, 7);
    shell("sed -i '2a finish\\tTforged\\t2026-01-01T00:00:00Z\\tredeemed 1 201' '%s'",
          journal_path);
    expect_damage("Line 3 of the journal has no chain fields", 1);
}

static void torn_line_does_not_break_the_chain(void **state)
{
    (void)state;
    (void)offline_redeem("CODE-A", 2500, 250, 7);
    shell("printf 'begin\\tTtorn\\t2026-01-01T00:00:00Z\\tredeem\\tC1\\t5' >> '%s'", journal_path);
    struct pos_journal_entry b = offline_redeem("CODE-B", 2500, 300, 8);
    struct pos_journal_state s;
    load(&s);
    assert_false(s.damaged);
    assert_int_equal(s.n_offline, 2);
    assert_non_null(pos_journal_find(&s, b.txn_id));
    assert_int_equal(s.skipped, 1);
    pos_journal_state_free(&s);
}

static void compaction_carries_offline_entries_and_the_chain_goes_on(void **state)
{
    (void)state;
    struct pos_journal_entry kept = offline_redeem("CODE-KEPT", 5000, 500, 3);
    for (int i = 0; i < 60; i++) {
        char code[32];
        snprintf(code, sizeof code, "CODE-%d", i);
        struct pos_journal_entry e = begin_redeem(code, 100 + i);
        assert_int_equal(pos_journal_finish(state_dir, e.txn_id, "redeemed 1 201", false), CPN_OK);
    }
    struct pos_journal_state before;
    load(&before);
    bool done;
    assert_int_equal(pos_journal_compact(state_dir, 4096, &done), CPN_OK);
    assert_true(done);
    struct pos_journal_state s;
    load(&s);
    assert_false(s.damaged);
    assert_int_equal(s.generation, 2);
    assert_string_equal(s.prev_hash, before.last_hash); /* chained on from the archive */
    assert_int_equal(s.first_seq, before.last_seq + 1);
    assert_int_equal(s.n_offline, 1);
    const struct pos_journal_entry *p = pos_journal_find(&s, kept.txn_id);
    assert_non_null(p);
    assert_true(p->offline);
    assert_int_equal(p->discount_cents, 500);
    assert_string_equal(p->offline_at, kept.offline_at);
    assert_string_equal(p->time, kept.time);
    struct pos_journal_anchor anchor;
    assert_int_equal(pos_journal_head_read(state_dir, &anchor), CPN_OK);
    assert_int_equal(anchor.seq, s.last_seq);
    pos_journal_state_free(&s);
    pos_journal_state_free(&before);
    /* Deleting the carried offline line is found too. */
    shell("sed -i '$d' '%s'", journal_path);
    expect_damage("the last entries were deleted", 1);
}

static void damaged_journal_is_never_compacted(void **state)
{
    (void)state;
    (void)offline_redeem("CODE-A", 2500, 250, 7);
    for (int i = 0; i < 60; i++) {
        struct pos_journal_entry e = begin_redeem("CODE-X", 100 + i);
        assert_int_equal(pos_journal_finish(state_dir, e.txn_id, "redeemed 1 201", false), CPN_OK);
    }
    shell("sed -i 3d '%s'", journal_path);
    bool done;
    assert_int_equal(pos_journal_compact(state_dir, 4096, &done), CPN_OK);
    assert_false(done);
    expect_damage("was deleted", 1);
}

static void older_journal_is_rotated_out_on_the_first_write(void **state)
{
    (void)state;
    shell("mkdir -m 700 -p '%s' && printf 'journal\\t2\\t4\\t2026-01-01T00:00:00Z\\t0\\n"
          "begin\\tTold\\t2026-01-01T00:00:00Z\\tearn\\tM000-44JZ-70ZM-V9BW\\t350\\t-\\n' > '%s'",
          state_dir, journal_path);
    struct pos_journal_entry e = begin_redeem("CODE-NEW", 100);
    struct pos_journal_state s;
    load(&s);
    assert_true(s.chained);
    assert_false(s.damaged);
    assert_int_equal(s.generation, 5);
    assert_int_equal(s.n_pending, 2);
    assert_non_null(pos_journal_find(&s, "Told"));
    assert_non_null(pos_journal_find(&s, e.txn_id));
    pos_journal_state_free(&s);
    shell("grep -q '^begin\tTold\t' '%s/journal.d/journal-4.log'", state_dir);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    snprintf(state_dir, sizeof state_dir, "%s/state", tmpdir);
    snprintf(journal_path, sizeof journal_path, "%s/" POS_JOURNAL_FILE, state_dir);
    snprintf(head_path, sizeof head_path, "%s/" POS_JOURNAL_HEAD_FILE, state_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(chained_journal_holds_and_offline_entries_stay_open, setup),
        cmocka_unit_test_setup(hashes_are_the_documented_ones, setup),
        cmocka_unit_test_setup(altered_entry_is_found, setup),
        cmocka_unit_test_setup(altered_entry_with_its_hash_recomputed_is_found_at_the_next, setup),
        cmocka_unit_test_setup(deleted_entry_is_found, setup),
        cmocka_unit_test_setup(deleted_last_entry_is_found_by_the_anchor, setup),
        cmocka_unit_test_setup(deleted_header_journal_or_head_is_found, setup),
        cmocka_unit_test_setup(inserted_line_is_found, setup),
        cmocka_unit_test_setup(torn_line_does_not_break_the_chain, setup),
        cmocka_unit_test_setup(compaction_carries_offline_entries_and_the_chain_goes_on, setup),
        cmocka_unit_test_setup(damaged_journal_is_never_compacted, setup),
        cmocka_unit_test_setup(older_journal_is_rotated_out_on_the_first_write, setup),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    setup(NULL);
    rmdir(tmpdir);
    return failed;
}
