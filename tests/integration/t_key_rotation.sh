#!/usr/bin/env bash
# codes_of_key_1_keep_working_across_ten_rotations_until_their_key_is_retired: a coupon and a
# bonus card issued under key 1 are checked, redeemed and earned on in both forms (short and
# signed) after ten key rotations (coupond keygen + restart each time); the export still lists
# the very codes that were issued; a coupon issued under the newest key works beside them. Then
# key 1 is retired (a retired-1 file in the key directory): its codes are refused, online and by
# pos-client offline, with a sentence that says the key was retired, while the newer coupon
# still works.
# Runs its own coupond with its own key directory on its own database in the test cluster, so
# the code keys it activates never meet the shared coupond's.
set -euo pipefail
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
: "${COUPOND_DB:?}"
d="$s/certs/dev"
for _ in $(seq 1 50); do
  port=$((20000 + RANDOM % 20000))
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
listen="127.0.0.1:$port" url="https://127.0.0.1:$port"
t=$(mktemp -d)
db="coupond_rotation_$$"
# shellcheck source=tests/integration/own_db.sh
. "$s/tests/integration/own_db.sh"
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  own_db_drop "$db"
  "$s/tests/integration/keep_log.sh" "$t/coupond.log" t_key_rotation
  rm -rf "$t"
}
trap cleanup EXIT
fail() { printf 'FAIL: %s\n' "$*" >&2; [ -f "$t/coupond.log" ] && tail -20 "$t/coupond.log" >&2; exit 1; }

conninfo=$(own_db_create "$db") || fail "cannot create or migrate database $db"

start_coupond() {
  "$b/coupond" serve --listen "$listen" --db "$conninfo" --cert "$d/server.pem" \
    --key "$d/server.key" --ca "$d/ca.pem" --crl "$d/crl.pem" --keys "$t/keys" \
    --sql "$s/sql" >>"$t/coupond.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do
    curl -sf --cacert "$d/ca.pem" "$url/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  fail "coupond did not start"
}
stop_coupond() {
  kill -TERM "$pid"
  wait "$pid" || fail "coupond exited with status $?"
  pid=
}
rotate() {
  stop_coupond
  "$b/coupond" keygen --keys "$t/keys" >/dev/null
  start_coupond
}

# call WHO METHOD PATH [BODY]: sets $status and $body.
status='' body=''
call() {
  local out
  out=$(curl -sS --cacert "$d/ca.pem" --cert "$d/$1.pem" --key "$d/$1.key" \
    -H 'Content-Type: application/json' -X "$2" -w '\n%{http_code}' "$url$3" ${4:+-d "$4"})
  status=$(tail -n1 <<<"$out")
  body=$(sed '$d' <<<"$out")
}
# expect STATUS [REGEX]: the last call answered STATUS with a body matching REGEX.
expect() {
  [ "$status" = "$1" ] || fail "wanted HTTP $1, got $status: $body"
  [ -z "${2:-}" ] || grep -Eq -- "$2" <<<"$body" || fail "body does not match /$2/: $body"
}
# json FIELD: the value of top-level FIELD of $body.
json() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$body" "$1"; }
# txn: a new txn id (called in a subshell, so it cannot count).
txn() { echo "rot-$$-$(date +%s%N)"; }

"$b/coupond" keygen --keys "$t/keys" >/dev/null
start_coupond

echo "== key 1 issues a coupon and a bonus card"
call marketer POST /v1/campaigns '{"name":"rotation","channel":"mailing","cost_cents":100,"starts_at":"2020-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z","offer":{"kind":"amount","value":100}}'
expect 201
campaign=$(json id)
call marketer POST "/v1/campaigns/$campaign/coupons" '{"count":1}'
expect 201
coupon=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["coupons"][0]["code"])' "$body")
coupon_qr=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["coupons"][0]["signed"])' "$body")
call marketer POST /v1/cards '{}'
expect 201
card=$(json card) card_qr=$(json signed)
call terminal-1 POST "/v1/cards/$card/earn" "{\"basket_cents\":1000,\"txn_id\":\"$(txn)\"}"
expect 201 '"balance":10'
echo "coupon $coupon, card $card"

for i in $(seq 2 11); do
  rotate
  echo "== rotation $((i - 1)): key $i signs"
done
call terminal-1 GET /v1/keys
expect 200 '"id":11,"alg":"Ed25519","public_key":"[0-9a-f]{64}","current":true'

echo "== after ten rotations key 1's coupon checks and redeems in both forms"
for c in "$coupon" "$coupon_qr"; do
  call terminal-1 POST /v1/checks "{\"code\":\"$c\",\"basket_cents\":1000}"
  expect 200 '"valid":true,"discount_cents":100'
done
call terminal-1 POST /v1/redemptions "{\"code\":\"$coupon\",\"basket_cents\":1000,\"txn_id\":\"$(txn)\"}"
expect 201 '"discount_cents":100'
rid=$(json redemption_id)
call terminal-1 POST "/v1/redemptions/$rid/void" "{\"txn_id\":\"$(txn)\"}"
expect 200
call terminal-1 POST /v1/redemptions "{\"code\":\"$coupon_qr\",\"basket_cents\":1000,\"txn_id\":\"$(txn)\"}"
expect 201 '"discount_cents":100'

echo "== and key 1's card earns in both forms"
call terminal-1 POST "/v1/cards/$card/earn" "{\"basket_cents\":500,\"txn_id\":\"$(txn)\"}"
expect 201 '"balance":15'
call terminal-1 POST "/v1/cards/$card_qr/earn" "{\"basket_cents\":500,\"txn_id\":\"$(txn)\"}"
expect 201 '"balance":20'
call terminal-1 GET "/v1/cards/$card_qr"
expect 200 "\"card\":\"$card\""

echo "== the export still lists the codes that were issued, not new ones"
curl -sS --fail --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" \
  "$url/v1/campaigns/$campaign/coupons.csv" >"$t/export.csv"
grep -q "^$coupon,$coupon_qr," "$t/export.csv" || fail "export changed the codes: $(cat "$t/export.csv")"

echo "== a coupon of key 11 works beside them"
call marketer POST "/v1/campaigns/$campaign/coupons" '{"count":1}'
expect 201
fresh=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["coupons"][0]["code"])' "$body")
call terminal-1 POST /v1/checks "{\"code\":\"$fresh\",\"basket_cents\":1000}"
expect 200 '"valid":true'

echo "== key 1 is retired: its codes are refused with a sentence that says so"
stop_coupond
: >"$t/keys/retired-1"
start_coupond
for c in "$coupon" "$coupon_qr"; do
  call terminal-1 POST /v1/checks "{\"code\":\"$c\",\"basket_cents\":1000}"
  expect 200 '"valid":false.*"reason":"forged_code".*retired'
done
call terminal-1 POST /v1/redemptions "{\"code\":\"$coupon_qr\",\"basket_cents\":1000,\"txn_id\":\"$(txn)\"}"
expect 422 '"error":"forged_code","message":"[^"]*retired'
for c in "$card" "$card_qr"; do
  call terminal-1 POST "/v1/cards/$c/earn" "{\"basket_cents\":500,\"txn_id\":\"$(txn)\"}"
  expect 422 '"error":"forged_code","message":"[^"]*retired'
done
call terminal-1 POST /v1/checks "{\"code\":\"$fresh\",\"basket_cents\":1000}"
expect 200 '"valid":true'
call terminal-1 GET /v1/keys
expect 200 '"id":1,[^}]*"retired":true'

echo "== pos-client refuses the retired key's QR code offline too"
export POS_URL=$url POS_CA=$d/ca.pem POS_CERT=$d/terminal-1.pem POS_KEY=$d/terminal-1.key
export POS_STATE=$t/pos
"$b/pos-client" keys >/dev/null || fail "pos-client keys failed"
rc=0
out=$(POS_URL=https://127.0.0.1:9 "$b/pos-client" check "$coupon_qr" 2>&1) || rc=$?
echo "$out"
[ "$rc" = 1 ] || fail "pos-client check of a retired key's code exited $rc"
grep -q retired <<<"$out" || fail "pos-client did not say the key was retired: $out"

stop_coupond
echo "key rotation: all checks passed"
