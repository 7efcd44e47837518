#!/usr/bin/env bash
# event_ids_follow_commit_order_not_queue_order: transaction A writes an event first (the
# smaller queue number) and commits last; B writes and commits meanwhile. A reader that has
# seen the events published so far must still get A's event after it: events_publish()
# numbers A's event after B's, with no gap, and never numbers an uncommitted one. (With the
# queue's own sequence as the event id, A's event would appear below an id already read and
# a resuming reader would skip it.) Also: a rolled-back transaction leaves no event. On a
# database of its own (tests/webhooks/lib.sh).
set -euo pipefail
# shellcheck source=tests/webhooks/lib.sh
. "$(dirname "$0")/../webhooks/lib.sh"
fresh_db coupond_t_events_order
q "SELECT events_publish(1000)" >/dev/null
mkfifo "$t/a.in"
psql "$DB" -qAtX <"$t/a.in" >"$t/a.out" 2>&1 &
pids+=("$!")
exec 3>"$t/a.in"
echo "BEGIN; INSERT INTO cards (serial) VALUES (1001); SELECT 'a-wrote';" >&3
for _ in $(seq 1 100); do grep -q a-wrote "$t/a.out" && break; sleep 0.05; done
q "INSERT INTO cards (serial) VALUES (1002)"
q "BEGIN; INSERT INTO cards (serial) VALUES (1003); ROLLBACK" >/dev/null 2>&1 || true
q "SELECT events_publish(1000)" >/dev/null
seen=$(q "SELECT string_agg(id || ':' || (payload->>'card_serial'), ' ' ORDER BY id) FROM events")
[ "$seen" = "1:1002" ] || fail "after B committed, published: '$seen' (want only B's event as 1)"
echo "COMMIT; SELECT 'a-committed';" >&3
for _ in $(seq 1 100); do grep -q a-committed "$t/a.out" && break; sleep 0.05; done
exec 3>&-
q "SELECT events_publish(1000)" >/dev/null
all=$(q "SELECT string_agg(id || ':' || (payload->>'card_serial'), ' ' ORDER BY id) FROM events")
[ "$all" = "1:1002 2:1001" ] || fail "after A committed: '$all' (want A's event as 2, after B's)"
[ "$(q 'SELECT count(*) FROM event_queue')" = 0 ] || fail "the queue still holds rows"
echo "events in commit order: $all (A wrote first, committed last); the rollback left none"
