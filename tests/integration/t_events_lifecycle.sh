#!/usr/bin/env bash
# campaign_life_cycle_writes_its_events: pausing, resuming and ending a campaign, its last
# allowed redemption and withdrawing a batch each write exactly one event, in order
# (campaign.paused, campaign.resumed, campaign.exhausted, batch.voided, campaign.ended); asking
# again for a state the campaign is in writes none; the live feed carries them with their
# types. On a database of its own (tests/webhooks/lib.sh).
set -euo pipefail
# shellcheck source=tests/webhooks/lib.sh
. "$(dirname "$0")/../webhooks/lib.sh"
cport=$((base_port + 2))
fresh_db coupond_t_events_lifecycle
start_coupond "$cport" --outbox-poll-ms 20
cid=$(api "$cport" marketer POST /v1/campaigns \
  '{"name":"life","channel":"app","cost_cents":1,"starts_at":"2020-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z","offer":{"kind":"amount","value":100},"max_redemptions":2}' |
  head -n1 | json id)
expect 200 "$(api "$cport" marketer POST "/v1/campaigns/$cid/pause")"
expect 200 "$(api "$cport" marketer POST "/v1/campaigns/$cid/pause")"
expect 200 "$(api "$cport" marketer POST "/v1/campaigns/$cid/resume")"
out=$(api "$cport" marketer POST "/v1/campaigns/$cid/coupons" '{"count":3}')
expect 201 "$out"
batch=$(head -n1 <<<"$out" | json batch_id)
head -n1 <<<"$out" | python3 -c 'import json,sys; [print(c["code"]) for c in json.load(sys.stdin)["coupons"]]' >"$t/codes"
[ "$(redeem_many "$cport" "$t/codes" life 1)" = "ok 2 refused 1 failed 0" ] || fail "redeem"
expect 200 "$(api "$cport" marketer POST "/v1/batches/$batch/void" '{"reason":"misprint"}')"
expect 200 "$(api "$cport" marketer POST "/v1/campaigns/$cid/end")"
expect 200 "$(api "$cport" marketer POST "/v1/campaigns/$cid/end")"
sleep 0.5
got=$(q "SELECT string_agg(type, ' ' ORDER BY id) FROM events")
# The exhausting redemption raises the campaign counter before it inserts its row: both
# events come from one transaction, in the order of its changes.
want="campaign.created campaign.paused campaign.resumed batch.issued redemption.created campaign.exhausted redemption.created batch.voided campaign.ended"
[ "$got" = "$want" ] || fail "events: $got (want $want)"
[ "$(q "SELECT count(*) FROM events WHERE payload::text LIKE '%misprint%'")" = 0 ] || fail "the void's free-text reason is in an event"
echo "events: $got"
echo "$(q 'SELECT events_head()')" >"$t/stop"
python3 "$W/sse_client.py" "https://127.0.0.1:$cport" "$d" 0 "$t/stop" "$t/ids" \
  "?campaign=$cid&types=campaign.paused,campaign.resumed,campaign.exhausted,campaign.ended,batch.voided" \
  >"$t/client.out" 2>&1 || { cat "$t/client.out"; fail "live feed"; }
[ "$(wc -l <"$t/ids")" = 5 ] || fail "the live feed gave $(wc -l <"$t/ids") life-cycle events, not 5"
echo "live feed: the 5 life-cycle events"
stop_coupond "$CPID"
