#!/usr/bin/env bash
# events_publish_stays_fast_after_a_backlog: a session (like coupond's outbox thread) runs
# events_publish() many times while the queue is nearly empty and its statistics are those of
# a vacuumed two-row table, so PL/pgSQL has cached the function's plans for a tiny queue; then
# another session queues 300,000 events at once (a bulk issue). The next events_publish(1000)
# in the first session must publish exactly 1000, the next ids without a gap, within 2 s
# (it takes 0.02-0.03 s). With "qid IN (SELECT ... LIMIT max)" the cached plan was a
# nested-loop semi join of the whole queue against the batch: 3*10^8 comparisons, 9 s or
# more here (minutes at 10^6 rows).
# Autovacuum is off for the queue in this test's own database, so no ANALYZE replans the
# function in between and the outcome does not depend on timing. On a database of its own
# (tests/webhooks/lib.sh).
set -euo pipefail
# shellcheck source=tests/webhooks/lib.sh
. "$(dirname "$0")/../webhooks/lib.sh"
fresh_db coupond_t_events_backlog
backlog=300000
bound_s=2
q "ALTER TABLE event_queue SET (autovacuum_enabled = false)"
q "INSERT INTO event_queue (type, payload) VALUES ('card.issued', '{}'), ('card.issued', '{}')"
q "VACUUM ANALYZE event_queue"
small="INSERT INTO event_queue (type, payload) SELECT 'card.issued', '{}' FROM generate_series(1, 3);
SELECT published FROM events_publish(1000);"
{
  for _ in $(seq 1 8); do echo "$small"; done
  # Another session queues the backlog (and commits) while this one keeps its plans.
  echo "\\! psql \"$DB\" -qAtX -c \"INSERT INTO event_queue (type, campaign_id, payload) SELECT 'card.issued', 1, jsonb_build_object('card_serial', g) FROM generate_series(1, $backlog) g\""
  echo "SET statement_timeout = '60s';"
  echo "SELECT 'head-before', last_id FROM event_counter;"
  echo "SELECT clock_timestamp() AS t0 \\gset"
  echo "SELECT 'published', published, head FROM events_publish(1000);"
  echo "SELECT 'seconds', round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 3);"
} >"$t/session.sql"
psql "$DB" -qAtX -v ON_ERROR_STOP=1 -f "$t/session.sql" >"$t/session.out" 2>&1 ||
  { cat "$t/session.out" >&2; fail "the publishing session failed (statement timeout: the move took over 60 s?)"; }
before=$(awk -F'|' '$1 == "head-before" {print $2}' "$t/session.out")
got=$(awk -F'|' '$1 == "published" {print $2 " " $3}' "$t/session.out")
secs=$(awk -F'|' '$1 == "seconds" {print $2}' "$t/session.out")
[ "$before" = 26 ] || fail "head before the backlog: '$before' (want 26: 2 + 8 * 3 events)"
[ "$got" = "1000 1026" ] || fail "publish after the backlog: '$got' (want '1000 1026')"
[ "$(q 'SELECT count(*) FROM event_queue')" = $((backlog - 1000)) ] || fail "the queue does not hold the rest"
[ "$(q 'SELECT count(*) = max(id) AND min(id) = 1 FROM events')" = t ] || fail "event ids have a gap"
awk -v s="$secs" -v b="$bound_s" 'BEGIN { exit !(s + 0 < b + 0) }' ||
  fail "events_publish(1000) took ${secs} s after a backlog of $backlog (bound ${bound_s} s)"
echo "events_publish(1000) after a backlog of $backlog with plans cached on a tiny queue: ${secs} s"
