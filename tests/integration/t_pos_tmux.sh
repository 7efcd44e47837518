#!/usr/bin/env bash
# cashier_mode_in_a_real_terminal: pos-client's till mode inside tmux, typed as a cashier
# would, talking to the real coupond through a line that can lose an answer after the service
# booked the call (pos_lost_answer.py).
# 1. Scan a bonus card and a coupon personalised for it, type the total, pay: the redemption's
#    answer is lost ("NO ANSWER ... type pay again"); pay again sends the same call under the same
#    txn: the screen shows the discount (booked once), the points earned and the new balance.
# 2. The next customer with the same card pays 3.50; the earn's answer is lost; the cashier leaves
#    the till mode, which says what stays pending.
# 3. The till mode starts again and says one transaction is pending; the next customer with the
#    same card pays 3.50 too: a new purchase, booked (the old journal answered it with the lost
#    earn and booked nothing); "retry" then settles the lost earn: it had gone through.
# The database holds exactly one redemption and three earns.
set -euo pipefail
# English, whatever the machine's locale: the German sentences are tested where the test says so.
export LANG=C.UTF-8
unset LC_ALL LC_MESSAGES LANGUAGE
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
d="$s/certs/dev" url="https://$listen"
command -v tmux >/dev/null || { echo "tmux is not installed"; exit 1; }
t=$(mktemp -d)
sess="coupond-till-$$"
proxy_pid=''
cleanup() {
  tmux kill-session -t "$sess" 2>/dev/null || true
  if [ -n "$proxy_pid" ]; then kill "$proxy_pid" 2>/dev/null || true; fi
  rm -rf "$t"
}
trap cleanup EXIT
screen() { tmux capture-pane -p -J -S -300 -t "$sess"; } # -J: wrapped lines joined
fail() { printf 'FAIL: %s\n--- screen ---\n' "$*" >&2; screen >&2 || true; exit 1; }

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

# The line to coupond: passes everything, except that `lose TEXT` makes the next request whose
# request line holds TEXT lose its answer after coupond answered it.
port=$(( 20000 + RANDOM % 20000 ))
: >"$t/arm"
python3 "$s/tests/integration/pos_lost_answer.py" "$port" "$listen" "$d/ca.pem" "$d/server.pem" \
  "$d/server.key" "$d/terminal-1.pem" "$d/terminal-1.key" "$t/arm" "$t/proxy.log" 2>"$t/proxy.err" &
proxy_pid=$!
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
kill -0 "$proxy_pid" 2>/dev/null || fail "the answer-losing proxy did not start: $(cat "$t/proxy.err")"
lose() { printf '%s\n' "$1" >"$t/arm"; }

cat >"$t/env" <<ENV
export POS_URL=https://127.0.0.1:$port POS_CA=$d/ca.pem POS_CERT=$d/terminal-1.pem POS_KEY=$d/terminal-1.key POS_STATE=$t/state TZ=UTC
ENV
# Two shifts in one terminal: the till mode, then (after quit) the till mode again.
tmux new-session -d -s "$sess" -x 220 -y 60 \
  "bash -c '. $t/env; $b/pos-client keys >/dev/null; $b/pos-client till; echo \"=== till restarted ===\"; exec $b/pos-client till'"
wait_for() {
  for _ in $(seq 1 100); do
    screen | grep -Eq -- "$1" && return 0
    sleep 0.1
  done
  fail "the screen never showed /$1/"
}
type_line() { tmux send-keys -t "$sess" -l "$1"; tmux send-keys -t "$sess" Enter; }

echo "== customer 1: the redemption's answer is lost; pay again books it once"
wait_for '^>'
type_line "$card"
wait_for "^Card $card: 0 points"
type_line "$signed"
wait_for '^Coupon .*(KEPT|VALID)'
type_line "42,50"
wait_for '^BASKET: total 42\.50 EUR'
lose "/v1/redemptions"
type_line "pay"
wait_for '^Coupon .*: NO ANSWER: no definite answer came: it is not known whether it went through \(txn T[0-9a-f]{32}\)\. Type pay again'
grep -q "^POST /v1/redemptions 201 dropped$" "$t/proxy.log" || fail "coupond did not book the lost redemption"
type_line "pay"
wait_for '^TOTAL 42\.50 EUR, discounts 3\.00 EUR, to pay 39\.50 EUR'
grep -Eq '^Coupon .*: REDEEMED: 3\.00 EUR off \(redemption [0-9]+\) \(the attempt that got no answer had gone through: booked once\)$' <<<"$(screen)" ||
  fail "no REDEEMED line saying the first attempt had gone through"
grep -Eq "^Card $card: EARNED: 39 points; balance 39 points" <<<"$(screen)" || fail "no new balance"

echo "== customer 2: the earn of 3.50 loses its answer; the cashier leaves the till mode"
type_line "$card"
wait_for "^Card $card: 39 points"
type_line "3.50"
wait_for '^BASKET: total 3\.50 EUR, 0 coupons'
lose "/earn"
type_line "pay"
wait_for "^Card $card: NO ANSWER: .*\(txn T[0-9a-f]{32}\)\. Type pay again"
lost=$(screen | grep -Eo "^Card $card: NO ANSWER: .*\(txn T[0-9a-f]{32}\)" | grep -Eo 'T[0-9a-f]{32}' | tail -n 1)
type_line "quit"
wait_for '^This basket is partly booked'
type_line "quit"
wait_for "^  card $card: perhaps earned \(no answer\): txn $lost is pending; pos-client retry $lost settles it"

echo "== the till mode again: it says what is pending; customer 3's earn of 3.50 is a purchase of its own"
wait_for '^=== till restarted ==='
wait_for '^PENDING: 1 earlier transaction of this till got no answer: type retry to settle it'
type_line "$card"
wait_for "^Card $card: 42 points"
type_line "3.50"
wait_for '^BASKET: total 3\.50 EUR, 0 coupons.*$'
type_line "pay"
wait_for '^TOTAL 3\.50 EUR, discounts 0\.00 EUR, to pay 3\.50 EUR'
grep -Eq "^Card $card: EARNED: 3 points; balance 45 points \(card transaction [0-9]+\)$" <<<"$(screen)" ||
  fail "customer 3's earn was not booked as a purchase of its own (balance 45)"
wait_for "^PENDING: 1 earlier transaction of this till got no answer"
type_line "retry"
wait_for "^txn $lost \(card earn $card, basket 3\.50 EUR, begun [^)]*\): EARNED: 3 points on bonus card $card; .* — settled: the attempt of [^ ]+ [^ ]+ had gone through; the service repeated its answer and booked nothing new$"
type_line "retry"
wait_for '^Nothing to retry: every transaction of this till got its answer\.$'
screen
type_line "quit" # the till mode ends, and with it the tmux session

rows=$(psql "$COUPOND_DB" -At -v id="$cid" <<<"SELECT count(*) FROM redemptions WHERE campaign_id = :'id'")
[ "$rows" = 1 ] || fail "$rows redemptions in the database, wanted 1"
# The earns the journal sent for this card (three purchases), and what the service holds of them.
txns=$(grep -P "^begin\t[^\t]+\t[^\t]+\tearn\t$card\t" "$t/state/journal.log" | cut -f2 | sort -u | paste -sd, -)
[ "$(tr ',' '\n' <<<"$txns" | wc -l)" = 3 ] || fail "the journal holds earns $txns, wanted three txns"
earns=$(psql "$COUPOND_DB" -At -v txns="{$txns}" <<<"SELECT count(*) FROM card_transactions WHERE kind = 'earn' AND txn_id = ANY (:'txns'::text[])")
[ "$earns" = 3 ] || fail "the service holds $earns of the three earns"
# shellcheck source=/dev/null
balance=$(. "$t/env"; POS_URL=$url "$b/pos-client" card balance "$card")
[ "$balance" = "BALANCE: bonus card $card has 45 points" ] || fail "after three purchases: $balance"
echo "till mode in tmux: a lost answer paid again booked once; a lost earn stayed pending across a restart, the next purchase booked on its own, retry settled the lost one; the service holds 1 redemption and 3 earns"
