#!/usr/bin/env bash
# till_mode_offline_in_a_real_terminal: pos-client's till mode inside tmux while its coupond (one
# of this test's own) is stopped: a scanned coupon is accepted offline and the screen says so
# with the discount and what to pay; a typed short code is not, and the line says why; points
# cannot be burned; the till mode says how many calls wait; coupond is started again and, between
# customers and without anything typed, the screen shows that the till sent what waited; the
# service holds the redemption once, on its offline time.
set -euo pipefail
# English, whatever the machine's locale: the German sentences are tested where the test says so.
export LANG=C.UTF-8
unset LC_ALL LC_MESSAGES LANGUAGE
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
: "${COUPOND_DB:?}"
d="$s/certs/dev"
command -v tmux >/dev/null || { echo "tmux is not installed"; exit 1; }
for _ in $(seq 1 50); do
  port=$(( 20000 + RANDOM % 20000 ))
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
listen="127.0.0.1:$port" url="https://127.0.0.1:$port"
t=$(mktemp -d)
sess="coupond-offline-$$"
pid=''
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  tmux kill-session -t "$sess" 2>/dev/null || true
  [ -z "$pid" ] || { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; } || true
  "$s/tests/integration/keep_log.sh" "$t/coupond.log" t_pos_tmux_offline
  rm -rf "$t"
}
trap cleanup EXIT
screen() { tmux capture-pane -p -J -S -300 -t "$sess"; }
fail() { printf 'FAIL: %s\n--- screen ---\n' "$*" >&2; screen >&2 || true; exit 1; }
start_coupond() {
  "$b/coupond" serve --listen "$listen" --db "$COUPOND_DB" --cert "$d/server.pem" \
    --key "$d/server.key" --ca "$d/ca.pem" --crl "$d/crl.pem" --keys "$s/var/keys" \
    --sql "$s/sql" >>"$t/coupond.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -sf --cacert "$d/ca.pem" "$url/healthz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  fail "coupond did not start: $(cat "$t/coupond.log")"
}
marketer() {
  curl -sS --fail-with-body --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" \
    -H 'Content-Type: application/json' -X "$1" "$url$2" ${3:+-d "$3"}
}
wait_for() {
  for _ in $(seq 1 150); do
    screen | grep -Eq -- "$1" && return 0
    sleep 0.1
  done
  fail "the screen never showed /$1/"
}
type_line() { tmux send-keys -t "$sess" -l "$1"; tmux send-keys -t "$sess" Enter; }

start_coupond
cid=$(marketer POST /v1/campaigns '{"name":"offline tmux","channel":"print","cost_cents":0,"starts_at":"2020-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z","offer":{"kind":"percent","value":10}}' |
  grep -o '"id":[0-9]*' | head -n 1 | cut -d: -f2)
issued=$(marketer POST "/v1/campaigns/$cid/coupons" '{"count":2}')
signed=$(grep -o '"signed":"[^"]*"' <<<"$issued" | head -n 1 | cut -d'"' -f4)
short=$(grep -o '"code":"[^"]*"' <<<"$issued" | tail -n 1 | cut -d'"' -f4)
card=$(marketer POST /v1/cards '{}' | grep -o '"card":"[^"]*"' | cut -d'"' -f4)
cat >"$t/env" <<ENV
export POS_URL=$url POS_CA=$d/ca.pem POS_CERT=$d/terminal-1.pem POS_KEY=$d/terminal-1.key POS_STATE=$t/state TZ=UTC
ENV
# shellcheck source=/dev/null
(. "$t/env"; "$b/pos-client" keys >/dev/null)
kill -TERM "$pid"; wait "$pid" || true; pid=''

tmux new-session -d -s "$sess" -x 220 -y 60 "bash -c '. $t/env; exec $b/pos-client till'"
wait_for '^>'
echo "== coupond is down: a scanned coupon is accepted offline, a typed one is not"
type_line "$card"
wait_for "^Card $card: kept for this basket; balance unknown"
type_line "$signed"
wait_for '^Coupon .*Signature valid \(checked offline\): 10% off'
type_line "burn 100"
wait_for '^BURN: 100 points'
type_line "42,50"
# The answer to the total before "pay" is typed: typed at once, "pay" is echoed before the
# prompt, and the payment's first line then follows "> " on the prompt's line.
wait_for '^BASKET: total 42\.50 EUR'
type_line "pay"
wait_for "^Card $card: NOT BOOKED: .*Not accepted offline: Points cannot be burned offline.* Type burn 0 to pay without burning points\.$"
type_line "burn 0"
wait_for '^BURN: no points are burned'
type_line "pay"
wait_for '^TOTAL 42\.50 EUR, discounts 4\.25 EUR, to pay 38\.25 EUR'
screen | grep -Eq '^Coupon .*: ACCEPTED OFFLINE: 4\.25 EUR off, pay 38\.25 EUR \(txn T[0-9a-f]{32}; sent to the coupon service when it answers again\)$' ||
  fail "no ACCEPTED OFFLINE line for the coupon"
screen | grep -Eq "^Card $card: ACCEPTED OFFLINE: the points for 38\.25 EUR are booked on bonus card $card when the coupon service answers again" ||
  fail "no ACCEPTED OFFLINE line for the points"
wait_for '^OFFLINE: 2 calls accepted offline wait: they are sent when the coupon service answers again\.$'
type_line "$short"
type_line "10"
type_line "pay"
wait_for 'NOT BOOKED: .* Not accepted offline: A typed code can only be redeemed online: scan the coupon'"'"'s QR code, or try again when the service answers\.$'
type_line "cancel"
wait_for '^CANCELLED: the basket is empty'

echo "== coupond is back: the till sends what waits by itself"
start_coupond
wait_for '^SYNC: 2 of 2 calls accepted offline reached the coupon service \(2 booked, 0 booked before, 0 conflicts, 0 refused\); 0 still wait\.$'
screen
n=$(psql "$COUPOND_DB" -At -c "SELECT count(*) FROM redemptions WHERE campaign_id = $cid AND synced_at IS NOT NULL AND basket_cents = 4250 AND discount_cents = 425")
[ "$n" = 1 ] || fail "the service holds $n offline redemptions, wanted 1"
type_line "quit"
echo "till mode offline in tmux: accepted a scanned coupon and an earn, refused a typed code and a burn with a sentence, sent both by itself when coupond was back"
