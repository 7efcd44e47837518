#!/usr/bin/env bash
# live_feed_cuts_off_a_slow_reader_with_a_clear_close: a reader that stops reading (4 KiB
# receive buffer) while 2,000 redemptions happen is cut off once its bounded buffer is full
# for twice the heartbeat: what it was sent is contiguous from id 1 and ends with
# "event: close" (reason slow_reader, last_event_id = the last id sent); resuming with
# Last-Event-ID from there gets the rest with no gap and no duplicate. coupond's memory stays
# bounded meanwhile. On a database of its own (tests/webhooks/lib.sh).
set -euo pipefail
# shellcheck source=tests/webhooks/lib.sh
. "$(dirname "$0")/../webhooks/lib.sh"
cport=$((base_port + 2))
fresh_db coupond_t_events_slow
start_coupond "$cport" --outbox-poll-ms 20 --sse-heartbeat 1
cid=$(campaign "$cport" slow)
python3 "$W/sse_stall.py" 127.0.0.1 "$cport" "$d" 12 "$t/ready" >"$t/stall.out" 2>&1 &
stall=$!
pids+=("$stall")
for _ in $(seq 1 100); do [ -f "$t/ready" ] && break; sleep 0.1; done
for round in 1 2; do
  issue "$cport" "$cid" 1000 "$t/codes"
  redeem_many "$cport" "$t/codes" "s$round" 4 >/dev/null
done
rss=$(awk '/VmRSS/ {print $2}' "/proc/$CPID/status")
wait "$stall" || { cat "$t/stall.out"; fail "the stalled reader failed"; }
[ -s "$t/stall.out" ] || fail "the stalled reader printed nothing"
read -r first last n shape close <"$t/stall.out" || fail "stalled reader: $(cat "$t/stall.out")"
echo "stalled reader: ids $first..$last ($n, $shape), then $close; coupond RSS ${rss} KiB"
[ "$first" = 1 ] && [ "$shape" = contiguous ] || fail "what the slow reader got: $(cat "$t/stall.out")"
python3 -c '
import json, sys
c = json.loads(sys.argv[1]); last = int(sys.argv[2])
assert c["type"] == "stream.closed" and c["reason"] == "slow_reader" and c["last_event_id"] == last, c
assert c["message"], c' "$close" "$last" || fail "no clear close: $close"
head=$(q 'SELECT events_head()')
[ "$last" -lt "$head" ] || fail "the reader was not behind (got $last of $head)"
echo "$head" >"$t/stop"
python3 "$W/sse_client.py" "https://127.0.0.1:$cport" "$d" 0 "$t/stop" "$t/ids" "" "$last" >"$t/resume.out" 2>&1 ||
  { cat "$t/resume.out"; fail "resuming failed"; }
python3 - "$t/ids" "$last" "$head" <<'PY' || fail "the resumed stream has gaps or duplicates"
import sys
ids = [int(x) for x in open(sys.argv[1])]
last, head = int(sys.argv[2]), int(sys.argv[3])
assert ids == list(range(last + 1, head + 1)), (ids[:5], ids[-5:], last, head)
print(f"resumed after {last}: {len(ids)} events to {head}, no gap, no duplicate")
PY
stop_coupond "$CPID"
