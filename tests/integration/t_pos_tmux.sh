#!/usr/bin/env bash
# cashier_mode_in_a_real_terminal: pos-client's till mode inside tmux, typed as a cashier
# would: scan a bonus card, scan a coupon personalised for that card, type the total, pay;
# the screen shows the discount, the points earned and the new balance, and the database
# holds exactly that redemption.
set -euo pipefail
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
d="$s/certs/dev" url="https://$listen"
command -v tmux >/dev/null || { echo "tmux is not installed"; exit 1; }
t=$(mktemp -d)
sess="coupond-till-$$"
cleanup() { tmux kill-session -t "$sess" 2>/dev/null || true; rm -rf "$t"; }
trap cleanup EXIT
fail() { printf 'FAIL: %s\n--- screen ---\n' "$*" >&2; tmux capture-pane -p -t "$sess" >&2 || true; exit 1; }

marketer() {
  curl -sS --fail-with-body --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" \
    -H 'Content-Type: application/json' -X "$1" "$url$2" ${3:+-d "$3"}
}
field() { grep -o "\"$1\":\"[^\"]*\"" | head -n1 | cut -d'"' -f4; }

card=$(marketer POST /v1/cards '{}' | field card)
[ -n "$card" ] || fail "no card issued"
cid=$(marketer POST /v1/campaigns '{"name":"till test","channel":"mailing","cost_cents":1000,"starts_at":"2020-01-01T00:00:00Z","ends_at":"2099-12-31T00:00:00Z","offer":{"kind":"amount","value":300,"min_basket_cents":1000}}' |
  grep -o '"id":[0-9]*' | head -n1 | cut -d: -f2)
signed=$(marketer POST "/v1/campaigns/$cid/coupons" "{\"count\":1,\"card\":\"$card\"}" | field signed)
[ -n "$signed" ] || fail "no personalised coupon issued"

cat >"$t/env" <<ENV
export POS_URL=$url POS_CA=$d/ca.pem POS_CERT=$d/terminal-1.pem POS_KEY=$d/terminal-1.key POS_STATE=$t/state TZ=UTC
ENV
tmux new-session -d -s "$sess" -x 200 -y 50 "bash -c '. $t/env; $b/pos-client keys >/dev/null; exec $b/pos-client till'"
wait_for() {
  for _ in $(seq 1 100); do
    tmux capture-pane -p -t "$sess" | grep -Eq -- "$1" && return 0
    sleep 0.1
  done
  fail "the screen never showed /$1/"
}
type_line() { tmux send-keys -t "$sess" -l "$1"; tmux send-keys -t "$sess" Enter; }

wait_for '^>'
type_line "$card"
wait_for "^Card $card: 0 points"
type_line "$signed"
wait_for '^Coupon .*(KEPT|VALID)'
type_line "42,50"
wait_for '^BASKET: total 42\.50 EUR'
type_line "pay"
wait_for '^TOTAL 42\.50 EUR, discounts 3\.00 EUR, to pay 39\.50 EUR'
screen=$(tmux capture-pane -p -t "$sess")
printf '%s\n' "$screen"
grep -Eq '^Coupon .*: REDEEMED: 3\.00 EUR off' <<<"$screen" || fail "no REDEEMED line"
grep -Eq "^Card $card: EARNED: 39 points; balance 39 points" <<<"$screen" || fail "no new balance"
type_line "quit"
rows=$(psql "$COUPOND_DB" -At -v id="$cid" <<<"SELECT count(*) FROM redemptions WHERE campaign_id = :'id'")
[ "$rows" = 1 ] || fail "$rows redemptions in the database, wanted 1"
echo "till mode in tmux: card scanned, personalised coupon redeemed, 39 points earned"
