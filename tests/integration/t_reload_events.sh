#!/usr/bin/env bash
# reload_reaches_the_event_threads: coupond runs from a config file with sse-heartbeat = 3600;
# a live feed reader (GET /v1/events) that stays connected sees no heartbeat. The file is
# changed to sse-heartbeat = 1 and webhook-timeout = 7 and coupond gets SIGHUP: the reload is
# done without naming them as needing a restart, and the same open stream carries heartbeats
# within seconds (the hub's thread took the new value; the stream was not dropped). On a
# database of its own (tests/webhooks/lib.sh).
set -euo pipefail
# shellcheck source=tests/webhooks/lib.sh
. "$(dirname "$0")/../webhooks/lib.sh"
cport=$((base_port + 2))
fresh_db coupond_t_reload_events
printf 'sse-heartbeat = 3600\nwebhook-timeout = 15\n' >"$t/coupond.conf"
start_coupond "$cport" --config "$t/coupond.conf"
curl -sN --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" \
  "https://127.0.0.1:$cport/v1/events" >"$t/feed" 2>"$t/feed.err" &
feed=$!
pids+=("$feed")
sleep 3
before=$(grep -c '^: keep-alive' "$t/feed" || true)
echo "heartbeats in 3 s with sse-heartbeat = 3600: $before"
[ "$before" = 0 ] || fail "a heartbeat came with sse-heartbeat = 3600"

printf 'sse-heartbeat = 1\nwebhook-timeout = 7\n' >"$t/coupond.conf.new"
mv "$t/coupond.conf.new" "$t/coupond.conf"
kill -HUP "$CPID"
for _ in $(seq 1 50); do
  grep -q '"reload done"\|reload done' "$t/coupond-$cport.log" && break
  sleep 0.1
done
grep -q 'reload done' "$t/coupond-$cport.log" || { tail -5 "$t/coupond-$cport.log" >&2; fail "the reload was not done"; }
if grep -q 'takes effect at the next restart' "$t/coupond-$cport.log"; then
  grep 'takes effect at the next restart' "$t/coupond-$cport.log" >&2
  fail "the reload named an event setting as needing a restart"
fi
after=0
for _ in $(seq 1 50); do
  after=$(grep -c '^: keep-alive' "$t/feed" || true)
  [ "$after" -ge 2 ] && break
  sleep 0.1
done
echo "heartbeats on the same stream within 5 s of the reload (sse-heartbeat = 1): $after"
[ "$after" -ge 2 ] || fail "the reload did not reach the live feed's hub"
kill -0 "$feed" 2>/dev/null || fail "the live feed stream was dropped by the reload"
stop_coupond "$CPID"
echo "PASS"
