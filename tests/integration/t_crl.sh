#!/usr/bin/env bash
# revocation_never_fails_open: coupond with a CA of its own, whose CRL file this test
# replaces while coupond runs. A CRL signed by the CA is applied when it is a newer issue,
# even when its thisUpdate is in the future or its nextUpdate has passed (with a warning);
# an older issue is refused as a rollback; a load that failed is retried; a CRL file that
# disappears is logged and the list in force kept; the log says what is wrong with a CRL of
# another CA or with a broken signature; /metrics shows the CRL's dates and last load;
# coupond starts with a stale CRL, and not at all without --crl or --no-crl.
# shellcheck source=tests/integration/front_lib.sh
. "$(dirname "$0")/front_lib.sh"
pki="$s/certs/coupond-pki"
ca="$T/ca"
"$pki" init "$ca" --name "t_crl CA" >/dev/null
for who in x y; do "$pki" marketer "$ca" "m-$who" --out "$T" >/dev/null; done
"$pki" admin "$ca" adm --out "$T" >/dev/null
live="$T/live.pem"
cp "$ca/crl.pem" "$T/first.pem"
cp "$ca/crl.pem" "$live"
port=$(own_port 1)
url="https://127.0.0.1:$port"
log="$T/main.log"

# status WHO: the HTTP status of GET /v1/campaigns over a new connection with WHO's certificate.
status() {
  curl -s --max-time 5 --cacert "$d/ca.pem" --cert "$T/$1.pem" --key "$T/$1.key" \
    -o /dev/null -w '%{http_code}' "$url/v1/campaigns" || true
}
# gencrl OUT [openssl ca options]: a CRL of the test CA as its index stands.
gencrl() {
  local out=$1
  shift
  (cd "$ca" && openssl ca -batch -config openssl.cnf -gencrl -out "$out" "$@") >/dev/null 2>&1
}
# put FILE: replaces the live CRL atomically (as coupond-pki does).
put() { cp "$1" "$live.tmp" && mv -f "$live.tmp" "$live"; }
showlog() { sed 's/^/    | /' "$log"; }
utc() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
logged() { grep -qF -- "$1" "$log"; }
settle() { sleep 1.5; }

start_coupond main "$port" --ca "$ca/ca.pem" --crl "$live"
check "x_accepted_before_revocation" [ "$(status m-x)" = 200 ]

# 1. thisUpdate two minutes ahead (the CA's clock is ahead): applied, with a warning.
"$pki" revoke "$ca" "$T/m-x.pem" >/dev/null
gencrl "$T/future.pem" -crl_lastupdate "$(utc '+2 min')" -crl_nextupdate "$(utc '+30 days')"
put "$T/future.pem"
settle
check "crl_dated_in_the_future_is_applied" [ "$(status m-x)" = 401 ]
check "crl_dated_in_the_future_is_warned_about" logged "in the future"

# 2. An older issue (the first CRL, which revokes nothing) is a rollback: refused.
put "$T/first.pem"
settle
check "older_crl_is_refused_as_rollback" [ "$(status m-x)" = 401 ]
check "rollback_is_logged" logged "rollback"

# 3. nextUpdate passed: applied (it is the CA's newest word), with a warning.
gencrl "$T/stale.pem" -crl_lastupdate "$(utc '-2 days')" -crl_nextupdate "$(utc '-1 day')"
put "$T/stale.pem"
settle
check "crl_past_next_update_is_applied" [ "$(status m-x)" = 401 ]
check "crl_past_next_update_is_warned_about" logged "has passed"

# 4. A load that fails is retried: a broken file written in place, then the good CRL written
#    in place with the broken file's size and times (a change stat(2) alone cannot see).
"$pki" revoke "$ca" "$T/m-y.pem" >/dev/null
gencrl "$T/fresh.pem"
size=$(stat -c %s "$T/fresh.pem")
head -c "$size" /dev/zero | tr '\0' 'x' >"$T/garbage"
cat "$T/garbage" >"$live"
settle
check "broken_crl_is_refused_and_logged" logged "not a DER CRL"
check "y_still_accepted_while_the_file_is_broken" [ "$(status m-y)" = 200 ]
touch -r "$live" "$T/times"
cat "$T/fresh.pem" >"$live"
touch -r "$T/times" "$live"
settle
check "failed_load_is_retried" [ "$(status m-y)" = 401 ]

# 5. The file disappears: logged, the list in force stays; it comes back: read again.
rm -f "$live"
settle
check "vanished_crl_is_logged" logged "is gone"
check "vanished_crl_keeps_the_list_in_force" [ "$(status m-x)$(status m-y)" = 401401 ]
cp "$T/fresh.pem" "$live"
settle
check "returned_crl_is_noticed" logged "is back"

# 6. The log says what is wrong: a CRL of another CA, a CRL with a broken signature.
"$pki" init "$T/other" --name "some other CA" >/dev/null
put "$T/other/crl.pem"
settle
check "foreign_crl_is_named_as_such" logged "not by the client CA"
gencrl "$T/tampered.pem"
openssl crl -in "$T/tampered.pem" -outform DER -out "$T/tampered.der"
python3 - "$T/tampered.der" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-5] ^= 1  # a bit of the signature
open(p, "wb").write(b)
EOF
put "$T/tampered.der"
settle
check "tampered_crl_is_named_as_such" logged "signature"
check "refused_crls_keep_the_list_in_force" [ "$(status m-x)$(status m-y)" = 401401 ]

# 7. /metrics: the dates of the CRL in force and the time of the last good load.
put "$T/fresh.pem"
settle
metrics=$(curl -s --cacert "$d/ca.pem" --cert "$T/adm.pem" --key "$T/adm.key" "$url/metrics")
this=$(date -u -d "$(openssl crl -in "$T/fresh.pem" -noout -lastupdate | cut -d= -f2)" +%s)
next=$(date -u -d "$(openssl crl -in "$T/fresh.pem" -noout -nextupdate | cut -d= -f2)" +%s)
gauge() { awk -v k="$1" '$1 == k {print $2}' <<<"$metrics"; }
check "metrics_show_this_update" [ "$(gauge coupond_crl_this_update_seconds)" = "$this" ]
check "metrics_show_next_update" [ "$(gauge coupond_crl_next_update_seconds)" = "$next" ]
recent() { [ -n "$1" ] && [ $(($(date +%s) - $1)) -le 10 ]; }
check "metrics_show_last_load" recent "$(gauge coupond_crl_last_load_seconds)"

# 8. Starting: with a stale CRL it serves; without --crl it refuses unless told --no-crl.
port2=$(own_port 2)
put "$T/stale.pem"
if start_coupond stale "$port2" --ca "$ca/ca.pem" --crl "$live"; then
  ok "starts_with_a_stale_crl"
  stop_coupond "$LAST_PID"
else
  bad "starts_with_a_stale_crl"
fi
set +e
"$b/coupond" serve --listen "127.0.0.1:$port2" --db "$COUPOND_DB" --cert "$d/server.pem" \
  --key "$d/server.key" --ca "$ca/ca.pem" --keys "$s/var/keys" >"$T/nocrl.log" 2>&1 &
nocrl=$!
PIDS+=("$nocrl")
for _ in $(seq 1 50); do kill -0 "$nocrl" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$nocrl" 2>/dev/null; then rc=running; stop_coupond "$nocrl"; else wait "$nocrl"; rc=$?; fi
set -e
check "refuses_to_start_without_crl_or_no_crl" [ "$rc" = 2 ]
check "says_to_pass_crl_or_no_crl" grep -q -- "--no-crl" "$T/nocrl.log"
if start_coupond nocrl2 "$port2" --ca "$ca/ca.pem" --no-crl; then
  ok "starts_with_no_crl"
  check "no_crl_is_warned_about" grep -q "revocation checks are off" "$T/nocrl2.log"
  stop_coupond "$LAST_PID"
else
  bad "starts_with_no_crl"
fi
[ "$FAILED" -eq 0 ] || showlog
finish
