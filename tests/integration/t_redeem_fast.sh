#!/usr/bin/env bash
# redeem_fast_books_the_common_case_and_hands_the_rest_to_redeem: coupond books the commonest
# redemption with one prepared statement and no call of redeem() ("redeem_fast",
# sql/functions/0302_redeem.sql), and hands everything else to redeem() with the same answers
# as before. Its own coupond on its own database with track_functions = all, so that
# PostgreSQL counts the calls of redeem() (the counts are read after coupond stopped: a
# backend reports them when it ends).
# Phase 1, only plain redemptions (percent offers, a points offer without a card): every one
# booked (201, the discount and the points as redeem() computes them), redeem() never called,
# one outbox event each.
# Phase 2, what the statement must hand over: a replay of a used coupon; a replay of a generic
# code with uses left (the statement takes a use, finds the key taken and rolls back whole:
# SQLSTATE CPF01, logged at debug, never as an error) answers the first redemption with the use
# count unchanged, and another body under that key is a conflict; 8 tills racing one key on
# the generic code book it once (one 201, 7 replays of the same redemption); 8 tills racing 8
# keys on one single-use coupon book it once (one 201, 7 already_redeemed); a capped campaign
# (its counter) and a paused one (the refusal). redeem() is called at least once for each of
# these, and an answer it gives has the same fields as the statement's.
# Fails before the statement (phase 1: redeem() called for every redemption).
set -euo pipefail
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
: "${COUPOND_DB:?}"
d="$s/certs/dev"
for _ in $(seq 1 50); do
  port=$((20000 + RANDOM % 20000))
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
url="https://127.0.0.1:$port"
t=$(mktemp -d)
db="coupond_fast_$$"
# shellcheck source=tests/integration/own_db.sh
. "$s/tests/integration/own_db.sh"
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  own_db_drop "$db"
  "$s/tests/integration/keep_log.sh" "$t/coupond.log" t_redeem_fast
  rm -rf "$t"
}
trap cleanup EXIT
fail() { printf 'FAIL: %s\n' "$*" >&2; [ -f "$t/coupond.log" ] && tail -5 "$t/coupond.log" >&2; exit 1; }
q() { psql "$conninfo" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }

conninfo=$(own_db_create "$db" track_functions all) || fail "cannot create database $db"
"$b/coupond" keygen --keys "$t/keys" >/dev/null

start_coupond() {
  "$b/coupond" serve --listen "127.0.0.1:$port" --db "$conninfo" --cert "$d/server.pem" \
    --key "$d/server.key" --ca "$d/ca.pem" --crl "$d/crl.pem" --keys "$t/keys" \
    --sql "$s/sql" --threads 4 --log-level debug >>"$t/coupond.log" 2>&1 &
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
# calls FUNCTION: how often PostgreSQL ran it (backends that ended have reported).
calls() { q "SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = '$1'"; }

# call WHO METHOD PATH [BODY]: sets $status and $body.
status='' body=''
call() {
  local out
  out=$(curl -sS --cacert "$d/ca.pem" --cert "$d/$1.pem" --key "$d/$1.key" \
    -H 'Content-Type: application/json' -X "$2" -w '\n%{http_code}' "$url$3" ${4:+-d "$4"})
  status=$(tail -n1 <<<"$out")
  body=$(sed '$d' <<<"$out")
}
expect() { # expect STATUS [REGEX]
  [ "$status" = "$1" ] || fail "wanted HTTP $1, got $status: $body"
  [ -z "${2:-}" ] || grep -Eq -- "$2" <<<"$body" || fail "body does not match /$2/: $body"
}
json() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$body" "$1"; }
keys() { python3 -c 'import json,sys; print(",".join(sorted(json.loads(sys.argv[1]))))' "$body"; }
campaign() { # campaign NAME OFFER [EXTRA]: the new campaign's id
  call marketer POST /v1/campaigns "{\"name\":\"$1\",\"channel\":\"mailing\",\"cost_cents\":100,
    \"starts_at\":\"2020-01-01T00:00:00Z\",\"ends_at\":\"2099-01-01T00:00:00Z\",\"offer\":$2${3:+,$3}}"
  expect 201
  json id
}
codes() { # codes CAMPAIGN BODY: the issued short codes, one per line
  call marketer POST "/v1/campaigns/$1/coupons" "$2"
  expect 201
  python3 -c 'import json,sys; [print(c["code"]) for c in json.loads(sys.argv[1])["coupons"]]' "$body"
}
redeem() { # redeem CODE TXN BASKET
  call terminal-1 POST /v1/redemptions "{\"code\":\"$1\",\"txn_id\":\"$2\",\"basket_cents\":$3}"
}

start_coupond
ca=$(campaign fast-percent '{"kind":"percent","value":10}')
cp=$(campaign fast-points '{"kind":"points","value":50}')
cc=$(campaign fast-capped '{"kind":"percent","value":10}' '"max_redemptions":5')
mapfile -t A < <(codes "$ca" '{"count":20}')
mapfile -t P < <(codes "$cp" '{"count":2}')
mapfile -t C < <(codes "$cc" '{"count":2}')
G=$(codes "$ca" '{"count":1,"uses":5}')
{ [ "${#A[@]}" = 20 ] && [ "${#P[@]}" = 2 ] && [ "${#C[@]}" = 2 ] && [ -n "$G" ]; } || fail "issue"
gserial=$(q "SELECT max(serial) FROM coupons WHERE max_uses = 5")
stop_coupond
before=$(calls redeem)
events_before=$(calls event_redemption_created)

# Phase 1: the statement alone.
start_coupond
redeem "${A[0]}" f-1 2500
expect 201 '"discount_cents":250'
first=$body
r1=$(json redemption_id) at1=$(json redeemed_at)
{ [ "$(json campaign_id)" = "$ca" ] && [ -n "$at1" ]; } || fail "first answer: $body"
fast_keys=$(keys)
redeem "${P[0]}" f-p 2500
expect 201 '"points":50'
[ "$(json discount_cents)" = 0 ] || fail "a points offer gives no discount: $body"
for i in $(seq 1 10); do
  redeem "${A[$i]}" "f-plain-$i" 1999
  expect 201 '"discount_cents":200'
done
stop_coupond
[ "$(calls redeem)" = "$before" ] ||
  fail "phase 1: redeem() was called $(($(calls redeem) - before)) times for 12 plain redemptions (want 0)"
[ "$(calls event_redemption_created)" = $((events_before + 12)) ] || fail "phase 1: not one event per redemption"
[ "$(q "SELECT count(*) FROM redemptions")" = 12 ] || fail "phase 1: not 12 redemptions"
before=$(calls redeem)

# Phase 2: what the statement hands over.
start_coupond
redeem "${A[0]}" f-1 2500 # a replay of a used coupon
expect 200
{ [ "$(json redemption_id)" = "$r1" ] && [ "$(json redeemed_at)" = "$at1" ] &&
  [ "$(json discount_cents)" = 250 ]; } || fail "replay: $body (first: $first)"
redeem "$G" g-1 3000 # a generic code: its first use by the statement
expect 201 '"discount_cents":300'
g1=$(json redemption_id)
redeem "$G" g-1 3000 # its replay: a use left, the key taken
expect 200
[ "$(json redemption_id)" = "$g1" ] || fail "generic replay: $body"
[ "$(q "SELECT uses FROM coupons WHERE serial = $gserial")" = 1 ] || fail "the replay kept a use"
redeem "$G" g-1 3100 # another body under the key
expect 409 '"error":"conflict"'
[ "$(q "SELECT uses FROM coupons WHERE serial = $gserial")" = 1 ] || fail "the conflict kept a use"

race() { # race CODE TXN_PREFIX SAME: 8 tills at once; SAME=1 all under one key
  local i pids=()
  for i in $(seq 1 8); do
    local txn="$2-$i"
    [ "$3" = 1 ] && txn=$2
    curl -sS --cacert "$d/ca.pem" --cert "$d/terminal-1.pem" --key "$d/terminal-1.key" \
      -H 'Content-Type: application/json' -w '\n%{http_code}\n' -X POST "$url/v1/redemptions" \
      -d "{\"code\":\"$1\",\"txn_id\":\"$txn\",\"basket_cents\":1000}" >"$t/race.$i" &
    pids+=($!)
  done
  wait "${pids[@]}" # not coupond
}
race "$G" g-race 1
ids=$(for i in $(seq 1 8); do head -n1 "$t/race.$i" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("redemption_id"))'; done | sort -u)
st=$(for i in $(seq 1 8); do tail -n1 "$t/race.$i"; done | sort | uniq -c | tr -s ' ' | tr '\n' ';')
[ "$st" = " 7 200; 1 201;" ] || fail "one key raced: statuses $st"
{ [ "$(wc -l <<<"$ids")" = 1 ] && [ "$ids" != None ]; } || fail "one key raced: redemptions $ids"
[ "$(q "SELECT uses FROM coupons WHERE serial = $gserial")" = 2 ] ||
  fail "one key raced: uses $(q "SELECT uses FROM coupons WHERE serial = $gserial"), want 2"

race "${A[15]}" a-race 0
st=$(for i in $(seq 1 8); do tail -n1 "$t/race.$i"; done | sort | uniq -c | tr -s ' ' | tr '\n' ';')
[ "$st" = " 1 201; 7 409;" ] || fail "one coupon raced: statuses $st"
grep -l already_redeemed "$t"/race.* | wc -l | grep -qx 7 || fail "one coupon raced: not 7 already_redeemed"

redeem "${C[0]}" c-1 2500 # a capped campaign: redeem() and its counter
expect 201 '"discount_cents":250'
[ "$(keys)" = "$fast_keys" ] || fail "redeem()'s answer has fields $(keys), the statement's $fast_keys"
[ "$(q "SELECT limited_uses FROM campaigns WHERE id = $cc")" = 1 ] || fail "the cap's counter"
call marketer POST "/v1/campaigns/$ca/pause" '{}'
expect 200
redeem "${A[16]}" a-paused 2500
expect 422 '"error":"campaign_paused"'
stop_coupond
n=$(($(calls redeem) - before))
[ "$n" -ge 19 ] || fail "phase 2: redeem() was called $n times, fewer than the 19 requests it must answer"
[ "$(q "SELECT count(*) FROM redemptions")" = 16 ] ||
  fail "phase 2: $(q "SELECT count(*) FROM redemptions") redemptions, want 16"
grep -q 'CPF01' "$t/coupond.log" || fail "the statement never found a key taken (no CPF01 in the debug log)"
if grep '"level":"error"' "$t/coupond.log" >&2; then fail "coupond logged errors"; fi
echo "ok: 12 plain redemptions without redeem(); $n calls of redeem() for the 19 it must answer"
