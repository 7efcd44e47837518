#!/usr/bin/env bash
# webhooks_survive_coupond_killed_mid_delivery: 1,000 redemptions are delivered to a slow
# receiver (20 ms an answer); coupond is killed with SIGKILL while deliveries are under way
# and started again: afterwards every redemption.created event has been delivered (verified
# by the standardwebhooks package), duplicates only with the same webhook-id. On a database
# of its own (tests/webhooks/lib.sh).
set -euo pipefail
# shellcheck source=tests/webhooks/lib.sh
. "$(dirname "$0")/../webhooks/lib.sh"
rport=$((base_port + 1)) cport=$((base_port + 2))
ensure_node_modules
fresh_db coupond_t_webhooks_kill
flags=(--webhook-retry-max 1 --webhook-timeout 5 --outbox-poll-ms 20)
start_coupond "$cport" "${flags[@]}"
ca_json=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$d/ca.pem")
out=$(api "$cport" admin POST /v1/webhooks \
  "{\"url\":\"https://127.0.0.1:$rport/hook\",\"events\":[\"redemption.created\"],\"ca_pem\":$ca_json}")
expect 201 "$out"
wid=$(head -n1 <<<"$out" | json id)
cid=$(campaign "$cport" kill)
issue "$cport" "$cid" 1000 "$t/codes"
echo "redeemed: $(redeem_many "$cport" "$t/codes" kill 4)"
# The receiver comes up once all 1,000 wait, so the kill surely lands mid-delivery.
: >"$t/recv.log"
start_receiver "$rport" "$(head -n1 <<<"$out" | json secret)" "$t/recv.log" --delay-ms 20
for _ in $(seq 1 200); do
  [ "$(wc -l <"$t/recv.log")" -ge 100 ] && break
  sleep 0.05
done
kill -9 "$CPID"
wait "$CPID" 2>/dev/null || true
n=$(wc -l <"$t/recv.log")
head=$(q 'SELECT events_head()') cursor=$(q "SELECT cursor FROM webhooks WHERE id = $wid")
echo "killed coupond (SIGKILL) after $n deliveries; cursor $cursor of $head"
[ "$cursor" -lt "$head" ] || fail "the kill did not come mid-delivery"
start_coupond "$cport" "${flags[@]}"
for _ in $(seq 1 240); do
  [ "$(q "SELECT cursor FROM webhooks WHERE id = $wid")" = "$head" ] && break
  sleep 0.5
done
[ "$(q "SELECT cursor FROM webhooks WHERE id = $wid")" = "$head" ] || fail "not everything delivered after the restart"
sleep 0.3
q "SELECT id FROM events WHERE type = 'redemption.created' ORDER BY id" >"$t/want"
python3 - "$t/recv.log" "$t/want" <<'PY' || fail "delivered ids differ from the outbox's"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
want = [int(x) for x in open(sys.argv[2])]
assert len(want) == 1000, len(want)
assert all(l["verified"] for l in lines), "a request failed verification"
ids = [l["event_id"] for l in lines]
assert set(ids) == set(want), f"missing {sorted(set(want) - set(ids))[:10]}"
assert all(l["webhook_id"] == f"evt_{l['event_id']}" for l in lines)
print(f"all {len(want)} events delivered; {len(ids) - len(set(ids))} duplicate(s), each with its event's webhook-id")
PY
stop_coupond "$CPID"
