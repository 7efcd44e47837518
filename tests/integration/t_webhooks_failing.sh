#!/usr/bin/env bash
# webhook_subscriptions_fail_give_up_and_events_are_pruned_once_delivered, on a database of
# its own (tests/webhooks/lib.sh), coupond with event-retention 0 and webhook-give-up 10 s:
#  1. while a receiver answers 500, the events it has not had are kept (the metrics show
#     them and the age of the oldest undelivered one) and its failures are recorded;
#  2. after webhook-give-up the subscription is marked failing and holds nothing back: the
#     events are pruned, and a redelivery from a pruned id is refused with a sentence;
#  3. a receiver answering 410 Gone is marked failing at once;
#  4. redeliver makes a failing subscription active again: new events reach the receiver
#     (now answering 200) and are pruned once delivered; the metrics go back to 0.
set -euo pipefail
# shellcheck source=tests/webhooks/lib.sh
. "$(dirname "$0")/../webhooks/lib.sh"
rport=$((base_port + 1)) cport=$((base_port + 2)) rport2=$((base_port + 3))
ensure_node_modules
fresh_db coupond_t_webhooks_failing
start_coupond "$cport" --event-retention 0 --webhook-retry-max 1 --webhook-give-up 10 \
  --webhook-timeout 3 --outbox-poll-ms 20
ca_json=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$d/ca.pem")
sub() {
  api "$cport" admin POST /v1/webhooks \
    "{\"url\":\"https://127.0.0.1:$1/hook\",\"events\":[\"redemption.created\"],\"ca_pem\":$ca_json}"
}
metric() {
  api "$cport" admin GET /metrics | sed -n "s/^$1 //p"
}
out=$(sub "$rport"); expect 201 "$out"
wid=$(head -n1 <<<"$out" | json id) secret=$(head -n1 <<<"$out" | json secret)
start_receiver "$rport" "$secret" "$t/recv.log" --status 500
receiver=$RPID
cid=$(campaign "$cport" failing)
issue "$cport" "$cid" 6 "$t/codes"
head -n 5 "$t/codes" >"$t/five"
[ "$(redeem_many "$cport" "$t/five" f 1)" = "ok 5 refused 0 failed 0" ] || fail "redeem"

echo "1. failing receiver: events kept"
sleep 1.5
state=$(api "$cport" admin GET "/v1/webhooks/$wid" | head -n1)
[ "$(json state <<<"$state")" = active ] && [ "$(json failures <<<"$state")" -ge 1 ] || fail "$state"
[[ "$(json last_error <<<"$state")" == *"HTTP 500"* ]] || fail "last_error: $state"
# The metrics are refreshed every 5 s.
for _ in $(seq 1 20); do
  kept=$(metric coupond_outbox_events) oldest=$(metric coupond_outbox_oldest_undelivered_seconds)
  [ "$kept" -ge 5 ] && python3 -c "import sys; sys.exit(0 if float('$oldest') > 0 else 1)" && break
  sleep 0.5
done
echo "   metrics: $kept events kept, oldest undelivered ${oldest} s"
[ "$kept" -ge 5 ] && python3 -c "import sys; sys.exit(0 if float('$oldest') > 0 else 1)" ||
  fail "the metrics do not show the undelivered events"

echo "2. given up after 10 s: failing, nothing held back"
for _ in $(seq 1 80); do
  [ "$(q "SELECT state FROM webhooks WHERE id = $wid")" = failing ] && break
  sleep 0.25
done
[ "$(q "SELECT state FROM webhooks WHERE id = $wid")" = failing ] || fail "not marked failing"
for _ in $(seq 1 40); do [ "$(q 'SELECT count(*) FROM events')" = 0 ] && break; sleep 0.25; done
[ "$(q 'SELECT count(*) FROM events')" = 0 ] || fail "events not pruned"
out=$(api "$cport" admin POST "/v1/webhooks/$wid/redeliver" '{"from_event_id":1}')
expect 400 "$out"
echo "   redeliver from 1: $(head -n1 <<<"$out" | json message)"

echo "3. 410 Gone: failing at once"
out=$(sub "$rport2"); expect 201 "$out"
gone=$(head -n1 <<<"$out" | json id)
start_receiver "$rport2" "$(head -n1 <<<"$out" | json secret)" "$t/recv2.log" --status 410
sed -n 6p "$t/codes" >"$t/sixth"
[ "$(redeem_many "$cport" "$t/sixth" g 1)" = "ok 1 refused 0 failed 0" ] || fail "redeem"
for _ in $(seq 1 40); do
  [ "$(q "SELECT state FROM webhooks WHERE id = $gone")" = failing ] && break
  sleep 0.25
done
[ "$(q "SELECT failures, state FROM webhooks WHERE id = $gone")" = "1|failing" ] ||
  fail "410: $(q "SELECT failures, state FROM webhooks WHERE id = $gone")"

echo "4. redeliver: active again, delivered, pruned"
kill -TERM "$receiver"
start_receiver "$rport" "$secret" "$t/recv.log"
next=$(($(q 'SELECT events_head()') + 1))
expect 200 "$(api "$cport" admin POST "/v1/webhooks/$wid/redeliver" "{\"from_event_id\":$next}")"
[ "$(q "SELECT state FROM webhooks WHERE id = $wid")" = active ] || fail "not active again"
issue "$cport" "$cid" 1 "$t/last"
[ "$(redeem_many "$cport" "$t/last" l 1)" = "ok 1 refused 0 failed 0" ] || fail "redeem"
for _ in $(seq 1 40); do
  grep -q '"verified":true' "$t/recv.log" && grep '"verified":true' "$t/recv.log" | grep -q '"type":"redemption.created"' &&
    [ "$(q 'SELECT count(*) FROM events')" = 0 ] && break
  sleep 0.25
done
grep '"verified":true' "$t/recv.log" | tail -n1 | grep -q "\"event_id\":$((next + 1))" ||
  fail "the new redemption was not delivered: $(tail -n2 "$t/recv.log")"
[ "$(q 'SELECT count(*) FROM events')" = 0 ] || fail "delivered events not pruned"
sleep 5.5
[ "$(metric coupond_outbox_oldest_undelivered_seconds)" = 0.000 ] || fail "metric still shows undelivered events"
echo "failing subscriptions give up, hold nothing back, come back with redeliver; delivered events pruned"
stop_coupond "$CPID"
