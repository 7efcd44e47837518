#!/usr/bin/env bash
# webhooks_are_signed_survive_an_outage_and_never_carry_a_rolled_back_change, on a database
# of its own (tests/webhooks/lib.sh) with coupond on the port after COUPOND_TEST_LISTEN's + 2
# and the Node receiver (standardwebhooks package) on + 1:
#  1. bad subscriptions (http URL, unknown event type, a CA that is no certificate, unknown
#     field, a terminal's certificate) are refused with a sentence and change nothing;
#  2. every delivered request verifies with the standardwebhooks package; codes are masked,
#     and in clear only for a subscription with reveal_codes;
#  3. refused redemptions (already redeemed, txn conflict, below minimum), a burn beyond the
#     balance and a void refused because its points were spent (a rolled-back subtransaction)
#     write no event;
#  4. the receiver is down for WEBHOOK_OUTAGE_S (default 60, at most 60) seconds while 1,000
#     redemptions happen: afterwards the delivered event ids equal the outbox's, and every
#     duplicate carries the same webhook-id; the delivery log shows the failed attempts;
#  5. POST /v1/webhooks/{id}/redeliver sends the events from an id again, same webhook-ids.
set -euo pipefail
# shellcheck source=tests/webhooks/lib.sh
. "$(dirname "$0")/../webhooks/lib.sh"
outage=${WEBHOOK_OUTAGE_S:-60}
[ "$outage" -le 60 ] || fail "WEBHOOK_OUTAGE_S must be at most 60"
rport=$((base_port + 1)) cport=$((base_port + 2)) rport2=$((base_port + 3))
ensure_node_modules
fresh_db coupond_t_webhooks
start_coupond "$cport" --webhook-retry-max 2 --webhook-timeout 5 --outbox-poll-ms 20
ca_json=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$d/ca.pem")
url="https://127.0.0.1:$rport/hook"

echo "1. bad subscriptions are refused"
for bad in "{\"url\":\"http://127.0.0.1:$rport/hook\",\"events\":[\"redemption.created\"]}" \
           "{\"url\":\"$url\",\"events\":[\"redemption.exploded\"]}" \
           "{\"url\":\"$url\",\"events\":[\"redemption.created\"],\"ca_pem\":\"not a certificate\"}" \
           "{\"url\":\"$url\",\"events\":[\"redemption.created\"],\"ca_pem\":\"\"}" \
           "{\"url\":\"$url\",\"events\":[]}" \
           "{\"url\":\"$url\",\"events\":[\"redemption.created\"],\"secret\":\"x\"}"; do
  out=$(api "$cport" admin POST /v1/webhooks "$bad")
  expect 400 "$out"
  msg=$(head -n1 <<<"$out" | json message)
  [ -n "$msg" ] && [ "$(head -n1 <<<"$out" | json error)" = bad_request ] || fail "no sentence: $out"
  echo "   refused: $msg"
done
expect 403 "$(api "$cport" terminal-1 POST /v1/webhooks "{\"url\":\"$url\",\"events\":[\"*\"]}")"
expect 403 "$(api "$cport" marketer GET /v1/webhooks)"
[ "$(q 'SELECT count(*) FROM webhooks')" = 0 ] || fail "a refused subscription was stored"

echo "2. subscriptions: all events (masked codes) and redemptions with codes in clear"
out=$(api "$cport" admin POST /v1/webhooks "{\"url\":\"$url\",\"events\":[\"*\"],\"ca_pem\":$ca_json}")
expect 201 "$out"
wid=$(head -n1 <<<"$out" | json id)
secret=$(head -n1 <<<"$out" | json secret)
[[ "$secret" == whsec_* ]] || fail "secret is not whsec_: $secret"
[ -z "$(api "$cport" admin GET "/v1/webhooks/$wid" | head -n1 | json secret)" ] || fail "secret shown twice"
out=$(api "$cport" admin POST /v1/webhooks \
  "{\"url\":\"https://127.0.0.1:$rport2/clear\",\"events\":[\"redemption.created\"],\"ca_pem\":$ca_json,\"reveal_codes\":true}")
expect 201 "$out"
secret2=$(head -n1 <<<"$out" | json secret)
start_receiver "$rport" "$secret" "$t/recv.log"
receiver1=$RPID
start_receiver "$rport2" "$secret2" "$t/recv2.log"
first=$(($(q 'SELECT events_head()') + 1))

echo "3. refusals and rollbacks write no event"
cid=$(campaign "$cport" hooks '{"kind":"amount","value":100,"min_basket_cents":500}')
issue "$cport" "$cid" 1000 "$t/codes"
head -n 3 "$t/codes" >"$t/first3"
[ "$(redeem_many "$cport" "$t/first3" pre 1)" = "ok 3 refused 0 failed 0" ] || fail "redeem"
refusals() {
  local c1 c4
  c1=$(sed -n 1p "$t/first3") c4=$(sed -n 4p "$t/codes")
  expect 409 "$(api "$cport" terminal-1 POST /v1/redemptions "{\"code\":\"$c1\",\"basket_cents\":1000,\"txn_id\":\"again-1\"}")"
  expect 409 "$(api "$cport" terminal-1 POST /v1/redemptions "{\"code\":\"$c4\",\"basket_cents\":1000,\"txn_id\":\"pre-0\"}")"
  expect 422 "$(api "$cport" terminal-1 POST /v1/redemptions "{\"code\":\"$c4\",\"basket_cents\":100,\"txn_id\":\"below-1\"}")"
}
refusals
pid=$(campaign "$cport" points '{"kind":"points","value":50}')
issue "$cport" "$pid" 1 "$t/pcode"
card=$(api "$cport" marketer POST /v1/cards '{}' | head -n1 | json card)
out=$(api "$cport" terminal-1 POST /v1/redemptions "{\"code\":\"$(cat "$t/pcode")\",\"basket_cents\":1000,\"txn_id\":\"pts-1\",\"card\":\"$card\"}")
expect 201 "$out"
rid=$(head -n1 <<<"$out" | json redemption_id)
expect 409 "$(api "$cport" terminal-1 POST "/v1/cards/$card/burn" '{"points":51,"txn_id":"burn-too-much"}')"
expect 201 "$(api "$cport" terminal-1 POST "/v1/cards/$card/burn" '{"points":50,"txn_id":"burn-all"}')"
out=$(api "$cport" terminal-1 POST "/v1/redemptions/$rid/void" '{"txn_id":"void-spent"}')
expect 409 "$out"
sleep 1
got=$(q "SELECT string_agg(type, ' ' ORDER BY id) FROM events WHERE id >= $first")
want="campaign.created batch.issued redemption.created redemption.created redemption.created campaign.created batch.issued card.issued redemption.created card.coupon_credited card.burned"
[ "$got" = "$want" ] || fail "events after the refusals: $got (want $want)"
[ "$(q "SELECT count(*) FROM redemption_voids")" = 0 ] || fail "the refused void was stored"
echo "   events: $got"

echo "4. receiver down for $outage s while 1,000 redemptions happen"
kill -TERM "$receiver1"
# the second receiver stays up
sleep 0.5
tail -n +4 "$t/codes" >"$t/rest"
echo "   997 codes: $(redeem_many "$cport" "$t/rest" out 4)"
issue "$cport" "$cid" 3 "$t/three"
[ "$(redeem_many "$cport" "$t/three" out-three 1)" = "ok 3 refused 0 failed 0" ] || fail "redeem"
start=$(date +%s)
sleep 3
state=$(api "$cport" admin GET "/v1/webhooks/$wid" | head -n1)
[ "$(json failures <<<"$state")" -gt 0 ] || fail "no failure recorded while the receiver was down: $state"
echo "   while down: $(json last_error <<<"$state")"
while [ $(($(date +%s) - start)) -lt "$outage" ]; do sleep 1; done
start_receiver "$rport" "$secret" "$t/recv.log"
head=$(q 'SELECT events_head()')
for _ in $(seq 1 120); do
  [ "$(q "SELECT cursor FROM webhooks WHERE id = $wid")" = "$head" ] && break
  sleep 0.5
done
[ "$(q "SELECT cursor FROM webhooks WHERE id = $wid")" = "$head" ] || fail "not everything delivered within 60 s after the outage"
sleep 0.3
python3 - "$t/recv.log" "$first" "$head" <<'EOF' || fail "delivered ids differ from the outbox's"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
first, head = int(sys.argv[2]), int(sys.argv[3])
bad = [l for l in lines if not l["verified"]]
assert not bad, f"{len(bad)} request(s) failed verification: {bad[:3]}"
ids = [l["event_id"] for l in lines]
assert set(ids) == set(range(first, head + 1)), f"missing {sorted(set(range(first, head + 1)) - set(ids))[:10]}"
wrong = [l for l in lines if l["webhook_id"] != f"evt_{l['event_id']}"]
assert not wrong, f"webhook-id differs from the event: {wrong[:3]}"
codes = [l["code"] for l in lines if l["code"] is not None]
assert codes and all(c.replace("-", "").startswith("*" * 8) for c in codes), codes[:3]
print(f"   {len(set(ids))} events delivered, {len(ids) - len(set(ids))} duplicate(s), all with their event's webhook-id; codes masked")
EOF
python3 - "$t/recv2.log" "$t/codes" <<'EOF' || fail "reveal_codes subscription"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
codes = set(c.strip() for c in open(sys.argv[2]))
assert lines and all(l["verified"] and l["type"] == "redemption.created" for l in lines)
got = set(l["code"] for l in lines)
assert codes <= got, f"{len(codes - got)} redeemed code(s) not received in clear"
print(f"   reveal_codes: {len(got)} codes in clear, only redemption.created")
EOF
# The whole delivery log, page by page (newest first).
before='' all=0 failed=0
while :; do
  page=$(api "$cport" admin GET "/v1/webhooks/$wid/deliveries?limit=500${before:+&before=$before}")
  expect 200 "$page"
  read -r n f last < <(head -n1 <<<"$page" | python3 -c '
import json, sys
d = json.load(sys.stdin)["deliveries"]
bad = [a for a in d if not a["delivered"]]
assert all(a.get("error") for a in bad), "a failed attempt without its error"
print(len(d), len(bad), d[-1]["id"] if d else 0)')
  all=$((all + n)) failed=$((failed + f)) before=$last
  [ "$n" -eq 500 ] || break
done
[ "$failed" -gt 0 ] || fail "no failed attempt in the delivery log"
echo "   delivery log: $all attempts, $failed failed during the outage"
[ "$(api "$cport" admin GET "/v1/webhooks/$wid" | head -n1 | json failures)" = 0 ] || fail "failures not cleared"

echo "5. redeliver from an event id"
from=$((head - 9))
: >"$t/recv.log"
out=$(api "$cport" admin POST "/v1/webhooks/$wid/redeliver" "{\"from_event_id\":$from}")
expect 200 "$out"
for _ in $(seq 1 60); do [ "$(wc -l <"$t/recv.log")" -ge 10 ] && break; sleep 0.5; done
python3 - "$t/recv.log" "$from" "$head" <<'EOF' || fail "redelivery"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
f, h = int(sys.argv[2]), int(sys.argv[3])
assert sorted(set(l["event_id"] for l in lines)) == list(range(f, h + 1)), lines
assert all(l["verified"] and l["webhook_id"] == f"evt_{l['event_id']}" for l in lines)
print(f"   events {f}..{h} delivered again with their webhook-ids")
EOF
expect 400 "$(api "$cport" admin POST "/v1/webhooks/$wid/redeliver" "{\"from_event_id\":$((head + 5))}")"
expect 404 "$(api "$cport" admin POST /v1/webhooks/999999/redeliver '{"from_event_id":1}')"
expect 200 "$(api "$cport" admin DELETE "/v1/webhooks/$wid")"
expect 409 "$(api "$cport" admin POST "/v1/webhooks/$wid/redeliver" '{"from_event_id":1}')"
echo "webhooks: signed, masked, nothing for rollbacks, nothing lost across the outage"
stop_coupond "$CPID"
