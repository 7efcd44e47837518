#!/usr/bin/env bash
# live_feed_resumes_with_last_event_id_without_gaps_or_duplicates: a marketer reads GET
# /v1/events while tills redeem coupons, and drops the connection abruptly 100 times at
# random points, resuming each time with Last-Event-ID: afterwards the ids received are
# exactly 1..head of the outbox, each once (0 gaps, 0 duplicates). Also: a filtered reader
# (?campaign=&types=) gets exactly the matching events; a quiet stream carries heartbeats;
# bad filters and Last-Event-ID values are refused with a sentence; a terminal may not
# read. On a database of its own (tests/webhooks/lib.sh).
set -euo pipefail
# shellcheck source=tests/webhooks/lib.sh
. "$(dirname "$0")/../webhooks/lib.sh"
cport=$((base_port + 2))
fresh_db coupond_t_events_sse
start_coupond "$cport" --outbox-poll-ms 20 --sse-heartbeat 1
base="https://127.0.0.1:$cport"

echo "bad input"
expect 400 "$(api "$cport" marketer GET '/v1/events?types=redemption.exploded')"
expect 400 "$(api "$cport" marketer GET '/v1/events?campaign=abc')"
out=$(curl -s --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" \
  -H 'Last-Event-ID: yesterday' -w '\n%{http_code}' "$base/v1/events")
expect 400 "$out"
echo "   $(head -n1 <<<"$out" | json message)"
expect 403 "$(api "$cport" terminal-1 GET /v1/events)"

cid=$(campaign "$cport" sse)
other=$(campaign "$cport" other)
issue "$cport" "$other" 50 "$t/other"
python3 "$W/sse_client.py" "$base" "$d" 100 "$t/stop" "$t/ids" >"$t/client.out" 2>&1 &
client=$!
pids+=("$client")
python3 "$W/sse_client.py" "$base" "$d" 0 "$t/stop2" "$t/ids2" "?campaign=$cid&types=redemption.created" \
  >"$t/client2.out" 2>&1 &
client2=$!
pids+=("$client2")
sleep 1
echo "redemptions while the reader reconnects"
for round in $(seq 1 12); do
  issue "$cport" "$cid" 200 "$t/codes"
  redeem_many "$cport" "$t/codes" "r$round" 2 >/dev/null
  [ "$round" = 1 ] && redeem_many "$cport" "$t/other" other 1 >/dev/null
  r=$(sed -n 's/^reconnects //p' "$t/ids.status" 2>/dev/null || echo 0)
  echo "   round $round: $((round * 200)) redemptions, $r reconnects"
  [ "${r:-0}" -ge 100 ] && break
  kill -0 "$client" 2>/dev/null || { cat "$t/client.out"; fail "the reader stopped"; }
done
[ "${r:-0}" -ge 100 ] || fail "fewer than 100 reconnects happened during the stream"
head=$(q 'SELECT events_head()')
echo "$head" >"$t/stop"
q "SELECT max(id) FROM events WHERE campaign_id = $cid AND type = 'redemption.created'" >"$t/stop2"
wait "$client" || { cat "$t/client.out"; fail "the reader failed"; }
wait "$client2" || { cat "$t/client2.out"; fail "the filtered reader failed"; }
python3 - "$t/ids" "$head" <<'PY' || fail "gaps or duplicates"
import sys
ids = [int(x) for x in open(sys.argv[1])]
head = int(sys.argv[2])
dups = len(ids) - len(set(ids))
gaps = sorted(set(range(1, head + 1)) - set(ids))
assert dups == 0 and not gaps and ids == sorted(ids), f"{dups} duplicates, gaps {gaps[:10]}"
print(f"   {len(ids)} events 1..{head}: 0 gaps, 0 duplicates")
PY
cat "$t/ids.status"
q "SELECT id FROM events WHERE campaign_id = $cid AND type = 'redemption.created' ORDER BY id" >"$t/want2"
cmp -s "$t/want2" "$t/ids2" || fail "the filtered reader got other events than the matching ones"
echo "   filtered reader: exactly the $(wc -l <"$t/want2") redemptions of campaign $cid"
[ "$(sed -n 's/^keepalives //p' "$t/ids.status")" -ge 1 ] || fail "no heartbeat seen"
echo "live feed: 100 forced reconnects, 0 gaps, 0 duplicates"
stop_coupond "$CPID"
