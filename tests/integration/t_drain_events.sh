#!/usr/bin/env bash
# drain_ends_live_feeds_and_abandons_hanging_webhooks: SIGTERM on a coupond that has a live
# feed reader (GET /v1/events) connected and webhook attempts hanging on a receiver that
# answers only after 10 minutes (--webhook-timeout 300): the stream ends with its
# "stream.closed"/"shutdown" message (the reader resumes elsewhere with Last-Event-ID),
# every request in flight finishes, and coupond exits 0 within a few seconds, not after
# drain-timeout (an open stream is a request in flight) nor after webhook-timeout. The
# abandoned attempts were not recorded: once coupond and a prompt receiver are back, every
# event is delivered (at least once). On a database of its own (tests/webhooks/lib.sh).
set -euo pipefail
# shellcheck source=tests/webhooks/lib.sh
. "$(dirname "$0")/../webhooks/lib.sh"
rport=$((base_port + 1)) cport=$((base_port + 2))
ensure_node_modules
fresh_db coupond_t_drain_events
flags=(--webhook-timeout 300 --webhook-retry-max 1 --outbox-poll-ms 20 --sse-heartbeat 1
  --drain-timeout 20)
start_coupond "$cport" "${flags[@]}"
ca_json=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$d/ca.pem")
out=$(api "$cport" admin POST /v1/webhooks \
  "{\"url\":\"https://127.0.0.1:$rport/hook\",\"events\":[\"redemption.created\"],\"ca_pem\":$ca_json}")
expect 201 "$out"
secret=$(head -n1 <<<"$out" | json secret)
: >"$t/recv.log"
start_receiver "$rport" "$secret" "$t/recv.log" --delay-ms 600000
hanging=$RPID

# A live feed reader, from the first event on.
curl -sN --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" \
  -H 'Last-Event-ID: 0' "https://127.0.0.1:$cport/v1/events" >"$t/feed" 2>"$t/feed.err" &
feed=$!
pids+=("$feed")

cid=$(campaign "$cport" drain-events)
issue "$cport" "$cid" 20 "$t/codes"
echo "redeemed: $(redeem_many "$cport" "$t/codes" drain 2)"
for _ in $(seq 1 100); do
  [ -s "$t/recv.log" ] && grep -q '^id: ' "$t/feed" && break
  sleep 0.1
done
[ -s "$t/recv.log" ] || fail "no webhook attempt reached the receiver"
grep -q '^id: ' "$t/feed" || fail "the live feed got no event"
echo "before SIGTERM: $(wc -l <"$t/recv.log") attempt(s) hanging on the receiver, $(grep -c '^id: ' "$t/feed") event(s) on the feed"

t0=$(date +%s.%N)
rc=0
kill -TERM "$CPID"
wait "$CPID" || rc=$?
secs=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$t0" "$(date +%s.%N)")
echo "coupond exited $rc, $secs s after SIGTERM"
[ "$rc" = 0 ] || { tail -20 "$t/coupond-$cport.log" >&2; fail "coupond exited with status $rc"; }
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 8 else 1)" "$secs" ||
  { tail -20 "$t/coupond-$cport.log" >&2; fail "the drain took $secs s (an open stream or a hanging webhook held it)"; }
grep -q 'drained: every request in flight finished' "$t/coupond-$cport.log" ||
  { tail -20 "$t/coupond-$cport.log" >&2; fail "requests were still in flight when coupond stopped"; }
for _ in $(seq 1 50); do
  kill -0 "$feed" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$feed" 2>/dev/null && fail "the live feed stream did not end"
feed_rc=0
wait "$feed" || feed_rc=$?
[ "$feed_rc" = 0 ] || fail "the live feed stream was cut (curl $feed_rc), not ended: $(cat "$t/feed.err")"
grep -q '"reason":"shutdown"' "$t/feed" || fail "the live feed did not say it closed for the shutdown"
echo "the live feed ended with: $(grep '"reason":"shutdown"' "$t/feed" | sed 's/^data: //')"
grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$t/coupond-$cport.log" &&
  fail "sanitizer report in coupond's log"

echo "again with a prompt receiver: every event delivered"
kill -TERM "$hanging"
wait "$hanging" 2>/dev/null || true
: >"$t/recv2.log"
start_receiver "$rport" "$secret" "$t/recv2.log"
start_coupond "$cport" "${flags[@]}"
want=$(q "SELECT count(*) FROM redemptions")
[ "$want" = 20 ] || fail "expected 20 redemptions, found $want"
got=0
for _ in $(seq 1 200); do
  got=$(python3 -c 'import json,sys; print(len({json.loads(l)["event_id"] for l in open(sys.argv[1]) if json.loads(l)["verified"]}))' "$t/recv2.log")
  [ "$got" -ge "$want" ] && break
  sleep 0.1
done
echo "after the restart: $got of $want redemption events delivered"
[ "$got" -ge "$want" ] || fail "only $got of $want events were delivered after the restart"
stop_coupond "$CPID"
echo "PASS"
