/* libFuzzer target for the till journal's reader: pos_journal_parse on arbitrary bytes must
 * never crash, read past its input or leak; every pending entry it returns must be one a writer
 * could have written (so a retry never sends a request that was not journaled), with distinct txn
 * ids; and writing those entries back as chained begin (and offline) lines after a header must
 * read back as the same entries and header, with the chain holding. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pos/journal.h"
#include "pos/journal_chain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns true when A and B hold the same fields. */
static int same_entry(const struct pos_journal_entry *a, const struct pos_journal_entry *b)
{
    return strcmp(a->txn_id, b->txn_id) == 0 && strcmp(a->time, b->time) == 0 &&
           pos_journal_same_request(a, b) && a->offline == b->offline &&
           (!a->offline ||
            (a->maybe_sent == b->maybe_sent && strcmp(a->offline_at, b->offline_at) == 0 &&
             a->discount_cents == b->discount_cents && a->campaign_id == b->campaign_id));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pos_journal_state s, again;
    if (pos_journal_parse((const char *)data, size, &s) != CPN_OK)
        abort(); /* only out of memory may fail, and inputs are small */
    if (s.skipped > s.lines || s.n_pending > s.lines || s.finished > s.lines)
        abort();
    if (!s.has_header && (s.version != 1 || s.generation != 0))
        abort();
    if (s.n_offline > s.n_pending || (s.damaged && !s.chained))
        abort();
    size_t cap = POS_JOURNAL_LINE_SIZE * (2 * s.n_pending + 1), len = 0;
    char *text = malloc(cap), line[POS_JOURNAL_LINE_SIZE], hash[POS_HASH_SIZE];
    if (text == NULL)
        abort();
    uint64_t seq = 0;
    memcpy(hash, pos_journal_zero_hash, POS_HASH_SIZE);
    if (s.has_header) {
        size_t n = pos_journal_format_header(s.generation, "2026-01-01T00:00:00Z", s.carried_bytes,
                                             NULL, line);
        n = pos_journal_chain(line, n, ++seq, hash, hash);
        memcpy(text, line, n);
        len = n;
    }
    for (size_t i = 0; i < s.n_pending; i++) {
        const struct pos_journal_entry *e = &s.pending[i];
        if (!pos_journal_entry_valid(e) || pos_journal_find(&s, e->txn_id) != e)
            abort(); /* invalid, or a txn id pending twice */
        for (int k = 0; k < 2; k++) {
            size_t n = k == 0       ? pos_journal_format_begin(e, line)
                       : e->offline ? pos_journal_format_offline(e, line)
                                    : 0;
            if (k == 0 && n == 0)
                abort();
            if (n == 0)
                continue;
            if (s.has_header)
                n = pos_journal_chain(line, n, ++seq, hash, hash);
            memcpy(text + len, line, n);
            len += n;
        }
    }
    if (pos_journal_parse(text, len, &again) != CPN_OK || again.n_pending != s.n_pending ||
        again.n_offline != s.n_offline || again.skipped != 0 || again.damaged ||
        again.has_header != s.has_header ||
        (s.has_header &&
         (again.generation != s.generation || again.carried_bytes != s.carried_bytes ||
          again.version != POS_JOURNAL_VERSION)))
        abort();
    for (size_t i = 0; i < s.n_pending; i++)
        if (!same_entry(&s.pending[i], &again.pending[i]))
            abort();
    free(text);
    pos_journal_state_free(&again);
    pos_journal_state_free(&s);
    return 0;
}
