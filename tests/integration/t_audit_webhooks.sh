#!/usr/bin/env bash
# webhook_changes_write_audit_lines: a webhook subscription can carry every code out
# (reveal_codes), so creating, redelivering and deleting one are audited like the other state
# changes: one JSON audit record each (kind "audit", the event, the admin's name and role, the
# request id of its access line, the webhook id), none for a replay of the creation with the
# same Idempotency-Key, a refused creation or a read. On a database of its own
# (tests/webhooks/lib.sh).
set -euo pipefail
# shellcheck source=tests/webhooks/lib.sh
. "$(dirname "$0")/../webhooks/lib.sh"
cport=$((base_port + 2))
fresh_db coupond_t_audit_webhooks
start_coupond "$cport" --outbox-poll-ms 20
log="$t/coupond-$cport.log"
body='{"url":"https://127.0.0.1:9/hook","events":["redemption.created"],"reveal_codes":true}'
create() {
  curl -s --cacert "$d/ca.pem" --cert "$d/admin.pem" --key "$d/admin.key" -X POST \
    -H 'Content-Type: application/json' -H 'Idempotency-Key: audit-1' -d "$1" \
    -w '\n%{http_code}' "https://127.0.0.1:$cport/v1/webhooks"
}
out=$(create "$body")
expect 201 "$out"
wid=$(head -n1 <<<"$out" | json id)
expect 200 "$(create "$body")" # the replay
expect 400 "$(api "$cport" admin POST /v1/webhooks '{"url":"http://plain.example/"}')"
expect 200 "$(api "$cport" admin GET "/v1/webhooks/$wid")"
# An event to redeliver from.
cid=$(campaign "$cport" audit)
issue "$cport" "$cid" 1 "$t/codes"
redeem_many "$cport" "$t/codes" audit 1 >/dev/null
for _ in $(seq 1 50); do
  [ "$(q 'SELECT coalesce(max(id), 0) FROM events')" -gt 0 ] 2>/dev/null && break
  sleep 0.1
done
expect 200 "$(api "$cport" admin POST "/v1/webhooks/$wid/redeliver" '{"from_event_id":1}')"
expect 200 "$(api "$cport" admin DELETE "/v1/webhooks/$wid")"
sleep 0.3
python3 - "$log" "$wid" <<'PY'
import json, sys
log, wid = sys.argv[1], int(sys.argv[2])
recs = [json.loads(l) for l in open(log) if l.startswith("{")]
access = {r.get("request_id"): r for r in recs if r.get("kind") == "access"}
audits = [r for r in recs if r.get("kind") == "audit" and r.get("event", "").startswith("webhook.")]
events = [r["event"] for r in audits]
print("webhook audit lines:", ", ".join(events))
want = ["webhook.created", "webhook.redelivered", "webhook.deleted"]
if events != want:
    sys.exit(f"FAILED: expected {want}, got {events}")
for r in audits:
    for k, v in (("principal", "admin"), ("role", "admin"), ("webhook_id", wid)):
        if r.get(k) != v:
            sys.exit(f"FAILED: {r['event']}: {k} is {r.get(k)!r}, not {v!r}")
    a = access.get(r.get("request_id"))
    if a is None or a.get("status") not in (200, 201):
        sys.exit(f"FAILED: {r['event']} has no access line with its request id {r.get('request_id')}")
c = audits[0]
if c.get("reveal_codes") != 1 or c.get("url") != "https://127.0.0.1:9/hook" or c.get("events") != "{redemption.created}":
    sys.exit(f"FAILED: the creation's audit line lacks what was subscribed: {c}")
if audits[1].get("from_event_id") != 1:
    sys.exit(f"FAILED: the redelivery's audit line lacks from_event_id: {audits[1]}")
print("each with the admin, the webhook id and its access line's request id")
PY
stop_coupond "$CPID"
echo "PASS"
