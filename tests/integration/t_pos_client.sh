#!/usr/bin/env bash
# pos_client_against_live_coupond: the till's program as a cashier uses it, against the coupond the
# coupond_running fixture started (real mutual TLS, real PostgreSQL). A marketer creates a
# campaign and issues coupons with curl; then pos-client shows the terminal's identity, saves the
# keys, checks a coupon in both forms, redeems it exactly once (a new txn is refused as already
# redeemed, the same txn replays the first answer, the same txn with another basket conflicts),
# voids it and redeems it again; refuses a typo and a forged signature locally (no call), says what
# the signature proves when the service is unreachable, refuses foreign certificates with exit 1,
# books bonus-card points, and runs a basket through the cashier mode on a pipe. The till journal:
# a redeem that timed out (a silent server) stays pending and `pos-client retry` settles it exactly
# once; when a line loses the answer of an earn of 3.50 or of a generic code's redemption after the
# service booked it (pos_lost_answer.py), the same purchase made again is a new transaction that
# books again, and `retry` learns that the first had gone through; compaction keeps journal.log
# bounded.
set -euo pipefail
# English, whatever the machine's locale: the German sentences are tested where the test says so.
export LANG=C.UTF-8
unset LC_ALL LC_MESSAGES LANGUAGE
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
d="$s/certs/dev" url="https://$listen"
t=$(mktemp -d)
fake_pid='' proxy_pid=''
cleanup() {
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; fi
  if [ -n "$proxy_pid" ]; then kill "$proxy_pid" 2>/dev/null || true; fi
  rm -rf "$t"
}
trap cleanup EXIT

unset POS_TIMEOUT_MS POS_CONNECT_TIMEOUT_MS XDG_STATE_HOME
export POS_URL=$url POS_CA=$d/ca.pem POS_CERT=$d/terminal-1.pem POS_KEY=$d/terminal-1.key
export POS_STATE=$t/state TZ=UTC
pos="$b/pos-client"
[ -x "$pos" ] || { echo "no $pos"; exit 1; }

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# run WANT_RC REGEX CMD...: runs CMD (stdout and stderr together into $out), prints it, and
# fails unless it exits WANT_RC and its output matches the extended REGEX.
out=
run() {
  local want=$1 pattern=$2 rc=0
  shift 2
  out=$("$@" 2>&1) || rc=$?
  printf '$ %s\n%s\n(exit %s)\n' "${*/#$b\//}" "$out" "$rc"
  [ "$rc" = "$want" ] || fail "exit $rc, wanted $want: $*"
  grep -Eq -- "$pattern" <<<"$out" || fail "output does not match /$pattern/: $*"
}

# marketer METHOD PATH [BODY]: the marketer's call; prints the body.
marketer() {
  curl -sS --fail-with-body --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" \
    -H 'Content-Type: application/json' -X "$1" "$url$2" ${3:+-d "$3"}
}

# Returns the N-th (1-based) value of string field FIELD in JSON text on standard input.
field() { grep -o "\"$1\":\"[^\"]*\"" | sed -n "${2:-1}p" | cut -d'"' -f4; }

echo "== a typo is refused by the till alone, at once, with no service at all"
code_shape='[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}'
start=$(date +%s%N)
POS_URL=https://127.0.0.1:9 run 1 '^REFUSED: The code has a typo \(its check character does not match\): please type it again\.$' \
  "$pos" redeem 4000-0016-P1ND-HYCF --basket 12.34
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "the local typo refusal took $ms ms"
[ ! -e "$t/state/journal.log" ] || fail "a local refusal wrote the journal"
POS_URL=https://127.0.0.1:9 run 1 '^NOT VALID: The code has a typo' "$pos" check 4000-0016-P1ND-HYCF

echo "== a marketer creates a campaign (10% off) and issues three coupons"
campaign=$(marketer POST /v1/campaigns '{"name":"t_pos_client","channel":"mailing","cost_cents":5000,
  "starts_at":"2026-01-01T00:00:00Z","ends_at":"2099-12-31T23:59:59Z",
  "offer":{"kind":"percent","value":10,"min_basket_cents":0}}')
cid=$(grep -o '"id":[0-9]*' <<<"$campaign" | head -n 1 | cut -d: -f2)
[ -n "$cid" ] || fail "no campaign id in $campaign"
issued=$(marketer POST "/v1/campaigns/$cid/coupons" '{"count":3}')
c1=$(field code 1 <<<"$issued") c2=$(field code 2 <<<"$issued") c3=$(field code 3 <<<"$issued")
s1=$(field signed 1 <<<"$issued") s2=$(field signed 2 <<<"$issued") s3=$(field signed 3 <<<"$issued")
[[ $c1 =~ ^$code_shape$ && -n $s3 ]] || fail "unexpected coupons: $issued"

echo "== who the service takes this till for, and its keys"
run 0 "^coupond at $url sees terminal terminal-1 of store 1$" "$pos" status
run 0 "^Saved [0-9]+ verification keys? from $url in $t/state/keys.json$" "$pos" keys
grep -q '"public_key"' "$t/state/keys.json" || fail "keys.json holds no key"

echo "== check: short form and signed form, with and without a basket"
run 0 "^VALID: 1\.23 EUR off \(campaign $cid\)$" "$pos" check "$c1" --basket 12.34
run 0 "^VALID: 10% off, valid until 2099-12-31 \(campaign $cid\)$" "$pos" check "$s1"
run 0 "^VALID .*campaign $cid" "$pos" check "$(tr 'A-Z' 'a-z' <<<"$c1" | tr -d -)"
run 0 "^VALID: 3\.00 EUR off" "$pos" check "$s1" --basket 30,00

echo "== redeem exactly once; the same txn replays the first answer"
txn="t-pos-client-$$-$RANDOM"
run 0 '^REDEEMED: 1\.23 EUR off, pay 11\.11 EUR \(redemption [0-9]+\)$' \
  "$pos" redeem "$c1" --basket 12.34 --txn "$txn"
rid=$(grep -o 'redemption [0-9]*' <<<"$out" | cut -d' ' -f2)
run 1 '^REFUSED: .*already( been)? redeemed' "$pos" redeem "$c1" --basket 12.34
run 1 "in store 1" "$pos" redeem "$s1" --basket 5
run 0 "^REDEEMED: 1\.23 EUR off, pay 11\.11 EUR \(redemption $rid\)$" \
  "$pos" redeem "$c1" --basket 12.34 --txn "$txn"
run 1 '^REFUSED: ' "$pos" redeem "$c1" --basket 99 --txn "$txn"
run 1 '^NOT VALID: .*already( been)? redeemed' "$pos" check "$c1" --basket 12.34
grep -q "finish	$txn	" "$t/state/journal.log" || fail "the journal did not record the answer to $txn"

echo "== void; the coupon can be used again"
run 0 "^VOIDED: redemption $rid; the coupon can be used again$" "$pos" void "$rid"
# The voided redemption's txn again: the service answers 409 voided; no discount, exit 1.
run 1 "^VOIDED: redemption $rid of txn $txn was voided since \(void [0-9]+\); no discount$" \
  "$pos" redeem "$c1" --basket 12.34 --txn "$txn"
run 0 '^VALID: 1\.23 EUR off' "$pos" check "$c1" --basket 12.34
run 0 '^REDEEMED: 1\.23 EUR off, pay 11\.11 EUR \(redemption [0-9]+\)$' "$pos" redeem "$c1" --basket 12.34
[ "$(grep -o 'redemption [0-9]*' <<<"$out" | cut -d' ' -f2)" != "$rid" ] || fail "a new redemption reused id $rid"
run 1 '^REFUSED: ' "$pos" void 999999999

echo "== refused by the till alone: a typo against the live service, a forged signature"
ch=${c2:7:1}; repl=$([ "$ch" = 7 ] && echo 8 || echo 7); typo=${c2:0:7}$repl${c2:8}
run 1 '^REFUSED: The code has a typo' "$pos" redeem "$typo" --basket 10
pos_sig=100; ch=${s2:$pos_sig:1}; repl=$([ "$ch" = Q ] && echo R || echo Q)
forged=${s2:0:$pos_sig}$repl${s2:$((pos_sig + 1))}
run 1 '^REFUSED: This code was not issued by us\.$' "$pos" redeem "$forged" --basket 10
run 1 '^NOT VALID: This code was not issued by us\.$' "$pos" check "$forged"
run 1 '^REFUSED: This is not a coupon code' "$pos" redeem "${c2:0:14}" --basket 10
run 2 'at most two decimals' "$pos" redeem "$c2" --basket 12.345
run 2 '--basket is required' "$pos" redeem "$c2"

echo "== the service unreachable: a check says what the signature alone proves"
POS_URL=https://127.0.0.1:9 run 3 '^Signature valid \(checked offline\): 10% off, valid until 2099-12-31; could not ask the service whether it was already used$' \
  "$pos" check "$s2"
POS_URL=https://127.0.0.1:9 run 3 'cannot be reached' "$pos" redeem "$c2" --basket 10

echo "== a QR PNG from coupond, read by zbarimg, verifies at the till with the service unreachable"
marketer GET "/v1/coupons/$c2/qr.png" >"$t/qr.png"
scanned=$(zbarimg --raw -q "$t/qr.png")
[ "$scanned" = "$s2" ] || fail "zbarimg read '$scanned', not the signed form"
POS_URL=https://127.0.0.1:9 run 3 '^Signature valid \(checked offline\): 10% off' "$pos" check "$scanned"

echo "== a redeem that timed out stays pending; pos-client retry settles it, and the service holds it once"
port=$(( 20000 + RANDOM % 20000 ))
# A TLS server that accepts the till and never answers (its input: a FIFO nobody writes to).
mkfifo "$t/silence"
exec 4<>"$t/silence"
openssl s_server -quiet -accept "$port" -cert "$d/server.pem" -key "$d/server.key" \
  -CAfile "$d/ca.pem" -verify 1 <"$t/silence" >/dev/null 2>&1 &
fake_pid=$!
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
kill -0 "$fake_pid" 2>/dev/null || fail "the silent TLS server on port $port did not start"
POS_URL=https://127.0.0.1:$port POS_TIMEOUT_MS=1000 run 3 \
  "^No answer from the coupon service within 1 s: it is not known whether it went through\. Txn T[0-9a-f]{32} is kept pending: run pos-client retry to settle it \(it books at most once\)\.$" \
  "$pos" redeem "$c3" --basket 20
pending=$(grep -P "^begin\t[^\t]+\t[^\t]+\tredeem\t$c3\t2000\t-\t" "$t/state/journal.log" | cut -f2)
[ -n "$pending" ] || fail "no pending journal entry for $c3"
run 0 "^PENDING: txn $pending: redeem $c3, basket 20\.00 EUR, begun [0-9-]+ [0-9:]+$" "$pos" pending
run 0 "^1 transaction got no answer: run pos-client retry" "$pos" pending
# Any other command says so too (on standard error), until it is settled.
run 0 "^NOTE: 1 earlier transaction of this till got no answer and is pending: run pos-client retry" \
  "$pos" status
POS_URL=https://127.0.0.1:$port POS_TIMEOUT_MS=1000 run 3 \
  "^txn $pending \(redeem $c3, basket 20\.00 EUR, begun [^)]*\): NO ANSWER: No answer from the coupon service within 1 s: it is not known whether it went through\. — still no answer: it stays pending" \
  "$pos" retry
run 0 "^txn $pending \(redeem $c3, basket 20\.00 EUR, begun [^)]*\): REDEEMED: 2\.00 EUR off, pay 18\.00 EUR \(redemption [0-9]+\) — settled: the attempt of [^ ]+ [^ ]+ never reached the service, so it was booked only now; if the customer did not get it, reverse it with pos-client void [0-9]+$" \
  "$pos" retry
run 0 '^Nothing to retry: every transaction of this till got its answer\.$' "$pos" retry
run 0 '^Nothing pending: every transaction of this till got its answer\.$' "$pos" pending
held=$(psql "$COUPOND_DB" -At -v txn="$pending" <<<"SELECT count(*) FROM redemptions WHERE txn_id = :'txn'")
[ "$held" = 1 ] || fail "the service holds txn $pending $held times, wanted once"
run 1 'already( been)? redeemed' "$pos" redeem "$c3" --basket 20
grep -q "^finish	$pending	" "$t/state/journal.log" || fail "the journal did not record the answer to $pending"

echo "== a line that loses answers: the service books the call, the till never hears of it"
proxy_port=$(( 20000 + RANDOM % 20000 ))
[ "$proxy_port" != "$port" ] || proxy_port=$(( proxy_port + 1 ))
: >"$t/arm"
python3 "$s/tests/integration/pos_lost_answer.py" "$proxy_port" "$listen" "$d/ca.pem" \
  "$d/server.pem" "$d/server.key" "$d/terminal-1.pem" "$d/terminal-1.key" "$t/arm" "$t/proxy.log" \
  2>"$t/proxy.err" &
proxy_pid=$!
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$proxy_port") 2>/dev/null && break
  sleep 0.1
done
kill -0 "$proxy_pid" 2>/dev/null || fail "the answer-losing proxy did not start: $(cat "$t/proxy.err")"
lossy=https://127.0.0.1:$proxy_port
# lose TEXT: the next request whose request line holds TEXT loses its answer.
lose() { printf '%s\n' "$1" >"$t/arm"; }

echo "== an earn of 3.50 whose answer was lost; the next earn of 3.50 on the card is a new purchase"
POS_URL=$lossy run 0 "^ISSUED: bonus card $code_shape" "$pos" card issue
card35=$(grep -Eo "bonus card $code_shape" <<<"$out" | cut -d' ' -f3)
lose "/v1/cards/$card35/earn"
POS_URL=$lossy run 3 "broke off: it is not known whether it went through\. Txn T[0-9a-f]{32} is kept pending" \
  "$pos" card earn "$card35" --basket 3.50
lost=$(grep -Eo 'Txn T[0-9a-f]{32}' <<<"$out" | cut -d' ' -f2)
grep -q "^POST /v1/cards/$card35/earn 201 dropped$" "$t/proxy.log" || fail "coupond did not book the lost earn: $(cat "$t/proxy.log")"
# The old journal answered this one with the lost earn's first answer and booked nothing.
run 0 "^EARNED: 3 points on bonus card $card35; balance 6 points \(card transaction [0-9]+\)$" \
  "$pos" card earn "$card35" --basket 3.50
new_txn=$(grep -P "^begin\t[^\t]+\t[^\t]+\tearn\t$card35\t350\t-\t" "$t/state/journal.log" | cut -f2 | tail -n 1)
[ "$new_txn" != "$lost" ] || fail "the new earn reused the lost earn's txn $lost"
grep -q "NOTE: 1 earlier transaction" <<<"$out" || fail "the new earn did not mention the pending one"
run 0 "^PENDING: txn $lost: card earn $card35, basket 3\.50 EUR" "$pos" pending
run 0 "^txn $lost \(card earn $card35, basket 3\.50 EUR, begun [^)]*\): EARNED: 3 points on bonus card $card35; .* — settled: the attempt of [^ ]+ [^ ]+ had gone through; the service repeated its answer and booked nothing new$" \
  "$pos" retry
run 0 "^BALANCE: bonus card $card35 has 6 points$" "$pos" card balance "$card35"
earns=$(psql "$COUPOND_DB" -At -v a="$lost" -v b="$new_txn" \
  <<<"SELECT count(*) FROM card_transactions WHERE kind = 'earn' AND txn_id IN (:'a', :'b')")
[ "$earns" = 2 ] || fail "$earns earns booked for the two purchases of 3.50, wanted 2"
run 0 '^Nothing to retry' "$pos" retry

echo "== a generic code redeemed with its answer lost; the next customer's redemption of it books again"
gcid=$(marketer POST /v1/campaigns '{"name":"t_pos_client generic","channel":"print","cost_cents":100,
  "starts_at":"2026-01-01T00:00:00Z","ends_at":"2099-12-31T23:59:59Z",
  "offer":{"kind":"amount","value":200,"min_basket_cents":0}}' | grep -o '"id":[0-9]*' | head -n 1 | cut -d: -f2)
generic=$(marketer POST "/v1/campaigns/$gcid/coupons" '{"count":1,"uses":5}' | field code)
[[ $generic =~ ^$code_shape$ ]] || fail "no generic code issued"
lose "/v1/redemptions"
POS_URL=$lossy run 3 "Txn T[0-9a-f]{32} is kept pending" "$pos" redeem "$generic" --basket 20
lost=$(grep -Eo 'Txn T[0-9a-f]{32}' <<<"$out" | cut -d' ' -f2)
grep -q "^POST /v1/redemptions 201 dropped$" "$t/proxy.log" || fail "coupond did not book the lost redemption"
run 0 '^REDEEMED: 2\.00 EUR off, pay 18\.00 EUR \(redemption [0-9]+\)$' "$pos" redeem "$generic" --basket 20
rows=$(psql "$COUPOND_DB" -At -v id="$gcid" <<<"SELECT count(*) FROM redemptions WHERE campaign_id = :'id'")
[ "$rows" = 2 ] || fail "$rows redemptions of the generic code for two customers, wanted 2"
run 0 "^txn $lost \(redeem $generic, basket 20\.00 EUR, begun [^)]*\): REDEEMED: 2\.00 EUR off, pay 18\.00 EUR \(redemption [0-9]+\) — settled: the attempt of [^ ]+ [^ ]+ had gone through" \
  "$pos" retry
rows=$(psql "$COUPOND_DB" -At -v id="$gcid" <<<"SELECT count(*) FROM redemptions WHERE campaign_id = :'id'")
[ "$rows" = 2 ] || fail "the retry changed the generic code's redemptions to $rows"

echo "== compaction keeps journal.log bounded and the pending entry in it"
lose "/v1/redemptions"
POS_URL=$lossy run 3 "Txn T[0-9a-f]{32} is kept pending" "$pos" redeem "$generic" --basket 30
kept=$(grep -Eo 'Txn T[0-9a-f]{32}' <<<"$out" | cut -d' ' -f2)
largest=0
for i in $(seq 1 60); do
  POS_JOURNAL_MAX_BYTES=4096 run 1 '^REFUSED: ' "$pos" void $(( 999999000 + i ))
  size=$(stat -c %s "$t/state/journal.log")
  [ "$size" -le "$largest" ] || largest=$size
done
[ "$largest" -le 4800 ] || fail "journal.log grew to $largest bytes with journal_max_bytes 4096"
ls "$t/state/journal.d/"journal-*.log >/dev/null 2>&1 || fail "nothing was rotated out to journal.d/"
archived=$(cat "$t/state/journal.d/"*.log "$t/state/journal.log" | grep -cP '^begin\t[^\t]+\t[^\t]+\tvoid\t9999990[0-9]{2}\t')
[ "$archived" -ge 60 ] || fail "only $archived of 60 voids are in journal.log and journal.d/"
run 0 "^PENDING: txn $kept: redeem $generic, basket 30\.00 EUR" "$pos" pending
grep -qP "^begin\t$kept\t" "$t/state/journal.log" || fail "compaction dropped the pending $kept from journal.log"
run 0 "^txn $kept \(.*\): REDEEMED: 2\.00 EUR off, pay 28\.00 EUR .* had gone through" "$pos" retry
echo "journal.log stayed at most $largest bytes over 60 calls; $(find "$t/state/journal.d" -name "journal-*.log" | wc -l) generations rotated out"

echo "== certificates the service does not accept for a till: exit 1"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/O=coupond/OU=terminal/CN=rogue/L=1" -keyout "$t/rogue.key" -out "$t/rogue.pem" 2>/dev/null
POS_CERT=$t/rogue.pem POS_KEY=$t/rogue.key run 1 \
  "^(REFUSED: )?This till's certificate was refused by the coupon service; call IT\.$" "$pos" status
POS_CERT=$d/marketer.pem POS_KEY=$d/marketer.key run 1 '^REFUSED: ' "$pos" check "$c2"

echo "== bonus cards (when the service has them)"
card_status=$(curl -s -o "$t/card.json" -w '%{http_code}' --cacert "$d/ca.pem" --cert "$d/terminal-1.pem" \
  --key "$d/terminal-1.key" -H 'Content-Type: application/json' -X POST "$url/v1/cards" -d '{}' || true)
if [ "$card_status" = 201 ]; then
  run 0 "^ISSUED: bonus card $code_shape \(QR text [0-9A-Z]+\)$" "$pos" card issue
  card=$(grep -Eo "bonus card $code_shape" <<<"$out" | cut -d' ' -f3)
  run 0 "^BALANCE: bonus card $card has 0 points$" "$pos" card balance "$card"
  run 0 "^EARNED: 12 points on bonus card $card; balance 12 points \(card transaction [0-9]+\)$" \
    "$pos" card earn "$card" --basket 12.99
  run 1 '^REFUSED: ' "$pos" card burn "$card" --points 13
  burn_txn="t-pos-burn-$$-$RANDOM"
  run 0 "^BURNED: 5 points \(0\.05 EUR off\) from bonus card $card; balance 7 points" \
    "$pos" card burn "$card" --points 5 --txn "$burn_txn"
  burn_tx=$(grep -o 'card transaction [0-9]*' <<<"$out" | cut -d' ' -f3)
  run 0 "^VOIDED: card transaction $burn_tx" "$pos" card void "$burn_tx"
  run 1 "^VOIDED: card transaction $burn_tx of txn $burn_txn was voided since \(void [0-9]+\); nothing booked$" \
    "$pos" card burn "$card" --points 5 --txn "$burn_txn"
  run 0 "^BALANCE: bonus card $card has 12 points$" "$pos" card balance "$card"
  run 1 '^REFUSED: This is a bonus card, not a coupon\.$' "$pos" redeem "$card" --basket 10
  run 1 '^REFUSED: This is a coupon, not a bonus card\.$' "$pos" card balance "$c2"

  echo "== the cashier mode with a bonus card: burn at pay, earn on what is paid"
  more=$(marketer POST "/v1/campaigns/$cid/coupons" '{"count":1}')
  c4=$(field code 1 <<<"$more")
  run 0 "^Card $card: 12 points$" "$pos" till < <(printf '%s\n' "$card" "$c4" "burn 10" "20" "pay" "quit")
  grep -Eq "^Coupon $c4: REDEEMED: 2\.00 EUR off \(redemption [0-9]+\)$" <<<"$out" || fail "no redemption line"
  grep -Eq "^Card $card: BURNED: 10 points \(0\.10 EUR off\); balance 2 points \(card transaction [0-9]+\)$" <<<"$out" || fail "no burn line"
  grep -Eq "^Card $card: EARNED: 17 points; balance 19 points \(card transaction [0-9]+\)$" <<<"$out" || fail "no earn line"
  grep -q '^TOTAL 20.00 EUR, discounts 2.10 EUR, to pay 17.90 EUR$' <<<"$out" || fail "no summary line"
else
  echo "(POST /v1/cards answered $card_status: card commands not tested)"
fi

echo "== the cashier mode on a pipe: one basket, one line per result"
run 0 "Coupon $c2: VALID" "$pos" till < <(printf '%s\n' "$s2" "total 12.34" "hello" "pay" "quit")
grep -Eq "^Coupon $c2: REDEEMED: 1\.23 EUR off \(redemption [0-9]+\)$" <<<"$out" || fail "no redemption line"
grep -q '^TOTAL 12.34 EUR, discounts 1.23 EUR, to pay 11.11 EUR$' <<<"$out" || fail "no summary line"
grep -q '^Not understood' <<<"$out" || fail "an unknown word was not answered"
! grep -q '^> ' <<<"$out" || fail "a prompt on a pipe"

echo "t_pos_client: all passed"
