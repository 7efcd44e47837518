#!/usr/bin/env bash
# Self-test of certs/coupond-pki, the operator's CA tool.
#
#   tests/unit/pki_selftest.sh [PATH/TO/coupond-pki]
#
# Works in its own temporary directory (with a space in its path, on purpose) and
# removes it. Checks: usage and exit codes, init, dev (twice: the second run makes
# nothing; a missing file is re-issued), every certificate against ca.pem, subjects, EKU,
# SAN, key modes, an expired certificate, revocation and the CRL, and real mutual TLS
# handshakes (openssl s_server + curl) by 127.0.0.1 and by localhost. As root it repeats
# the basics as an unprivileged user. Exits non-zero on any failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKI=${1:-$HERE/../../certs/coupond-pki}
case $PKI in /*) ;; *) PKI=$PWD/$PKI ;; esac
[ -x "$PKI" ] || {
  echo "pki_selftest: $PKI is not executable" >&2
  exit 1
}
command -v openssl >/dev/null 2>&1 || {
  echo "pki_selftest: openssl not found" >&2
  exit 1
}

T=$(mktemp -d "${TMPDIR:-/tmp}/pki selftest.XXXXXX")
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$T"
}
trap cleanup EXIT

FAILS=0
PASSES=0
pass() {
  PASSES=$((PASSES + 1))
  printf 'ok   %s\n' "$1"
}
fail() {
  FAILS=$((FAILS + 1))
  printf 'FAIL %s\n' "$1"
  if [ -s "$T/out" ]; then sed 's/^/       | /' "$T/out" | head -20; fi
}
# expect_ok DESC CMD...: CMD must succeed (its output goes to $T/out).
expect_ok() {
  local d=$1
  shift
  if "$@" >"$T/out" 2>&1; then pass "$d"; else fail "$d"; fi
}
# expect_rc RC DESC CMD...: CMD must exit with RC.
expect_rc() {
  local want=$1 d=$2 rc=0
  shift 2
  "$@" >"$T/out" 2>&1 || rc=$?
  if [ "$rc" -eq "$want" ]; then pass "$d"; else
    echo "(exit status $rc, wanted $want)" >>"$T/out"
    fail "$d"
  fi
}
# expect_grep DESC PATTERN CMD...: CMD's output (stdout+stderr) must match PATTERN (ERE).
expect_grep() {
  local d=$1 pat=$2
  shift 2
  "$@" >"$T/out" 2>&1 || true
  if grep -Eq -- "$pat" "$T/out"; then pass "$d"; else
    echo "(no line matches: $pat)" >>"$T/out"
    fail "$d"
  fi
}
mode_of() { stat -c %a "$1"; }
subject_of() { openssl x509 -in "$1" -noout -subject -nameopt compat | sed 's/^subject=//'; }

echo "== coupond-pki self-test ($PKI) in $T"

# ------------------------------------------------------------------ usage
expect_rc 2 "no arguments: exit 2" "$PKI"
expect_rc 0 "--help: exit 0" "$PKI" --help
expect_grep "--help prints the usage" '^usage: coupond-pki' "$PKI" --help
expect_rc 2 "unknown command: exit 2" "$PKI" frobnicate "$T/x"
expect_rc 2 "unknown option: exit 2" "$PKI" list "$T/x" --frob
expect_rc 2 "terminal without --store: exit 2" "$PKI" terminal "$T/x" t1
expect_rc 2 "store id 0 refused" "$PKI" terminal "$T/x" t1 --store 0
expect_rc 2 "store id 2147483648 refused" "$PKI" terminal "$T/x" t1 --store 2147483648
expect_rc 2 "store id with letters refused" "$PKI" terminal "$T/x" t1 --store 12a
expect_rc 2 "NAME with a slash refused" "$PKI" marketer "$T/x" 'a/b'
expect_rc 2 "NAME of 65 characters refused" "$PKI" admin "$T/x" "$(printf 'a%.0s' {1..65})"
expect_rc 2 "marketer with --store refused" "$PKI" marketer "$T/x" m --store 1
expect_rc 2 "server without --dns/--ip refused" "$PKI" server "$T/x" s
expect_rc 2 "bad date refused" "$PKI" admin "$T/x" a --not-before 20200230000000Z --not-after 20210101000000Z
expect_rc 1 "commands on a missing CA fail with 1" "$PKI" list "$T/no such ca"

# ------------------------------------------------------------------ init
CA="$T/real ca"
expect_ok "init" "$PKI" init "$CA" --name "coupond selftest CA" --days 30
for f in ca.pem private/ca.key index.txt serial crlnumber crl.pem openssl.cnf; do
  if [ -f "$CA/$f" ]; then pass "init made $f"; else : >"$T/out" && fail "init made $f"; fi
done
: >"$T/out"
if [ "$(mode_of "$CA/private/ca.key")" = 600 ]; then pass "CA key mode 0600"; else fail "CA key mode 0600 (is $(mode_of "$CA/private/ca.key"))"; fi
expect_rc 1 "second init refused" "$PKI" init "$CA"
expect_grep "CA: basicConstraints critical CA:TRUE" 'CA:TRUE' openssl x509 -in "$CA/ca.pem" -noout -ext basicConstraints
expect_grep "CA: basicConstraints is critical" 'Basic Constraints: critical' openssl x509 -in "$CA/ca.pem" -noout -ext basicConstraints
expect_grep "CA: keyUsage keyCertSign, cRLSign" 'Certificate Sign, CRL Sign' openssl x509 -in "$CA/ca.pem" -noout -ext keyUsage
expect_grep "CA: P-256 key" 'prime256v1|P-256' openssl x509 -in "$CA/ca.pem" -noout -text
expect_grep "CA: ECDSA with SHA-256" 'ecdsa-with-SHA256' openssl x509 -in "$CA/ca.pem" -noout -text
expect_grep "CA: subject /O=coupond/CN=<name>" '^subject=/O=coupond/CN=coupond selftest CA$' openssl x509 -in "$CA/ca.pem" -noout -subject -nameopt compat
expect_ok "initial CRL verifies against the CA" openssl crl -in "$CA/crl.pem" -CAfile "$CA/ca.pem" -noout
expect_grep "initial CRL is empty" 'No Revoked Certificates' openssl crl -in "$CA/crl.pem" -noout -text

# ------------------------------------------------------------------ dev
DEV="$T/dev pki"
"$PKI" dev "$DEV" >"$T/dev1" 2>"$T/out" || fail "dev (first run)"
for f in ca.pem server.pem server.key terminal-1.pem terminal-1.key terminal-2.pem terminal-2.key \
  marketer.pem marketer.key admin.pem admin.key monitor.pem monitor.key crl.pem; do
  if [ -f "$DEV/$f" ] && grep -qF "/$f" "$T/dev1"; then pass "dev made and reported $f"; else fail "dev made and reported $f"; fi
done
"$PKI" dev "$DEV" >"$T/dev2" 2>"$T/out" || fail "dev (second run)"
if [ ! -s "$T/dev2" ]; then pass "dev second run makes nothing"; else cp "$T/dev2" "$T/out" && fail "dev second run makes nothing"; fi
rm -f "$DEV/terminal-2.key"
"$PKI" dev "$DEV" >"$T/dev3" 2>"$T/out" || fail "dev (third run)"
if [ "$(wc -l <"$T/dev3")" -eq 2 ] && grep -q 'terminal-2.pem$' "$T/dev3" && grep -q 'terminal-2.key$' "$T/dev3"; then
  pass "dev re-issues only a missing pair"
else
  cp "$T/dev3" "$T/out" && fail "dev re-issues only a missing pair"
fi
: >"$T/out"

declare -A SUBJ=(
  [server]=/O=coupond/OU=server/CN=server
  [terminal-1]=/O=coupond/OU=terminal/L=1/CN=terminal-1
  [terminal-2]=/O=coupond/OU=terminal/L=2/CN=terminal-2
  [marketer]=/O=coupond/OU=marketer/CN=marketer
  [admin]=/O=coupond/OU=admin/CN=admin
  [monitor]=/O=coupond/OU=monitor/CN=monitor
)
for n in server terminal-1 terminal-2 marketer admin monitor; do
  expect_ok "$n.pem verifies against ca.pem" openssl verify -CAfile "$DEV/ca.pem" "$DEV/$n.pem"
  s=$(subject_of "$DEV/$n.pem")
  if [ "$s" = "${SUBJ[$n]}" ]; then pass "$n subject $s"; else echo "got $s" >"$T/out" && fail "$n subject ${SUBJ[$n]}"; fi
  : >"$T/out"
  if [ "$(mode_of "$DEV/$n.key")" = 600 ]; then pass "$n.key mode 0600"; else fail "$n.key mode 0600"; fi
  expect_grep "$n.key is P-256" 'prime256v1|P-256' openssl pkey -in "$DEV/$n.key" -noout -text_pub
  expect_grep "$n: basicConstraints CA:FALSE" 'CA:FALSE' openssl x509 -in "$DEV/$n.pem" -noout -ext basicConstraints
  expect_grep "$n: keyUsage digitalSignature" 'Digital Signature' openssl x509 -in "$DEV/$n.pem" -noout -ext keyUsage
  if [ "$n" = server ]; then
    expect_grep "server: EKU serverAuth" 'TLS Web Server Authentication' openssl x509 -in "$DEV/$n.pem" -noout -ext extendedKeyUsage
    expect_grep "server: SAN DNS:localhost, IP:127.0.0.1" 'DNS:localhost, IP Address:127\.0\.0\.1' openssl x509 -in "$DEV/$n.pem" -noout -ext subjectAltName
    expect_ok "server: passes the sslserver purpose" openssl verify -purpose sslserver -CAfile "$DEV/ca.pem" "$DEV/$n.pem"
  else
    expect_grep "$n: EKU clientAuth only" '^ *TLS Web Client Authentication$' openssl x509 -in "$DEV/$n.pem" -noout -ext extendedKeyUsage
    expect_ok "$n: passes the sslclient purpose" openssl verify -purpose sslclient -CAfile "$DEV/ca.pem" "$DEV/$n.pem"
  fi
done
expect_grep "client certificates fail the sslserver purpose" 'unsuitable certificate purpose' \
  openssl verify -purpose sslserver -CAfile "$DEV/ca.pem" "$DEV/terminal-1.pem"

# ------------------------------------------------------------------ issue, expiry, re-issue
expect_ok "terminal for store 2147483647 into --out" "$PKI" terminal "$CA" till-max --store 2147483647 --out "$T/out dir" --days 7
expect_grep "its subject carries L=2147483647" '^subject=/O=coupond/OU=terminal/L=2147483647/CN=till-max$' \
  openssl x509 -in "$T/out dir/till-max.pem" -noout -subject -nameopt compat
expect_rc 1 "an existing NAME.pem is not overwritten" "$PKI" terminal "$CA" till-max --store 3 --out "$T/out dir"
expect_ok "--force re-issues the same NAME" "$PKI" terminal "$CA" till-max --store 3 --out "$T/out dir" --force
expect_ok "server with several SANs" "$PKI" server "$CA" api --dns coupon.example.com --dns api.example.com --ip 10.0.0.5 --ip ::1
expect_grep "its SAN lists them" 'DNS:coupon.example.com, DNS:api.example.com, IP Address:10.0.0.5, IP Address:0:0:0:0:0:0:0:1' \
  openssl x509 -in "$CA/api.pem" -noout -ext subjectAltName
expect_ok "an expired terminal certificate (--not-before/--not-after)" \
  "$PKI" terminal "$DEV" expired-till --store 1 --not-before 20200101000000Z --not-after 20200102000000Z
expect_grep "openssl verify says it has expired" 'certificate has expired' openssl verify -CAfile "$DEV/ca.pem" "$DEV/expired-till.pem"
expect_grep "list shows it expired" 'expired .*/CN=expired-till$' "$PKI" list "$DEV"
expect_ok "a marketer certificate issued twice under one name (unique_subject=no)" "$PKI" marketer "$DEV" marketer --out "$T/m2"
expect_grep "a certificate that would outlive the CA draws a warning" 'warning' "$PKI" admin "$CA" long-lived --days 400

# ------------------------------------------------------------------ revocation and CRL
expect_ok "revoke terminal-2" "$PKI" revoke "$DEV" "$DEV/terminal-2.pem" --reason keyCompromise
expect_grep "openssl verify -crl_check says revoked" 'certificate revoked' \
  openssl verify -crl_check -CRLfile "$DEV/crl.pem" -CAfile "$DEV/ca.pem" "$DEV/terminal-2.pem"
expect_ok "terminal-1 still verifies with -crl_check" \
  openssl verify -crl_check -CRLfile "$DEV/crl.pem" -CAfile "$DEV/ca.pem" "$DEV/terminal-1.pem"
expect_grep "list shows it revoked" 'revoked .*/OU=terminal/L=2/CN=terminal-2$' "$PKI" list "$DEV"
expect_rc 0 "revoking it again is harmless" "$PKI" revoke "$DEV" "$DEV/terminal-2.pem"
expect_rc 1 "revoking a certificate of another CA fails" "$PKI" revoke "$DEV" "$T/out dir/till-max.pem"
serial=$(openssl x509 -in "$T/m2/marketer.pem" -noout -serial | sed 's/^serial=//')
expect_ok "revoke by serial number" "$PKI" revoke "$DEV" "$serial"
expect_grep "the CRL lists both" "$serial" openssl crl -in "$DEV/crl.pem" -noout -text
before=$(openssl crl -in "$DEV/crl.pem" -noout -crlnumber)
expect_ok "crl regenerates the CRL" "$PKI" crl "$DEV"
after=$(openssl crl -in "$DEV/crl.pem" -noout -crlnumber)
if [ "$before" != "$after" ]; then pass "the CRL number advanced ($before -> $after)"; else fail "the CRL number advanced"; fi
next=$(openssl crl -in "$DEV/crl.pem" -noout -nextupdate | sed 's/^nextUpdate=//')
days=$((($(date -u -d "$next" +%s) - $(date +%s)) / 86400))
if [ "$days" -ge 29 ] && [ "$days" -le 30 ]; then pass "the CRL is good for 30 days"; else fail "the CRL is good for 30 days (got $days)"; fi
if [ "$(mode_of "$DEV/crl.pem")" = 644 ]; then pass "crl.pem mode 0644"; else fail "crl.pem mode 0644"; fi
leftover=$(find "$DEV" -maxdepth 1 -name '.crl*' | wc -l)
if [ "$leftover" -eq 0 ]; then pass "no temporary CRL file left behind"; else fail "no temporary CRL file left behind"; fi
"$PKI" dev "$DEV" >"$T/dev4" 2>"$T/out" || fail "dev after revocation"
if grep -q 'terminal-2.pem$' "$T/dev4" && ! grep -q 'terminal-1' "$T/dev4"; then pass "dev re-issues a revoked dev certificate"; else
  cp "$T/dev4" "$T/out" && fail "dev re-issues a revoked dev certificate"
fi
"$PKI" revoke "$DEV" "$DEV/terminal-2.pem" >"$T/out" 2>&1 || fail "revoke the new terminal-2"

# A second, foreign CA for the wrong-CA case.
FOREIGN="$T/foreign ca"
"$PKI" init "$FOREIGN" --name "not coupond" >"$T/out" 2>&1 || fail "foreign init"
"$PKI" terminal "$FOREIGN" intruder --store 1 >"$T/out" 2>&1 || fail "foreign terminal"

# ------------------------------------------------------------------ mutual TLS
if command -v curl >/dev/null 2>&1; then
  start_server() {
    local attempt=0 waited
    while [ "$attempt" -lt 8 ]; do
      attempt=$((attempt + 1))
      PORT=$((20000 + RANDOM % 30000))
      (cd "$DEV" && exec openssl s_server -accept "127.0.0.1:$PORT" -cert server.pem -key server.key \
        -CAfile ca.pem -Verify 1 -verify_return_error -CRL crl.pem -crl_check -www) \
        >"$T/s_server.log" 2>&1 </dev/null &
      SERVER_PID=$!
      waited=0
      while [ "$waited" -lt 50 ]; do
        if grep -q '^ACCEPT' "$T/s_server.log"; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
        waited=$((waited + 1))
      done
      kill "$SERVER_PID" 2>/dev/null || true
      wait "$SERVER_PID" 2>/dev/null || true
      SERVER_PID=
    done
    return 1
  }
  # tls DESC WANT HOST CERTBASE [SERVER_LOG_PATTERN]: WANT is 200 or "refused" (a TLS
  # failure, curl exit 35 or 56, with PATTERN in s_server's log when given).
  tls() {
    local d=$1 want=$2 host=$3 base=$4 pat=${5:-} code rc=0 logsize
    logsize=$(stat -c %s "$T/s_server.log")
    local args=(--silent --show-error --max-time 10 --cacert "$DEV/ca.pem" -o /dev/null -w '%{http_code}')
    if [ -n "$base" ]; then args+=(--cert "$base.pem" --key "$base.key"); fi
    code=$(curl "${args[@]}" "https://$host:$PORT/" 2>"$T/out") || rc=$?
    if [ "$want" = 200 ] && [ "$rc" -eq 0 ] && [ "$code" = 200 ]; then pass "$d"
    elif [ "$want" = refused ] && { [ "$rc" -eq 35 ] || [ "$rc" -eq 56 ]; } &&
      { [ -z "$pat" ] || tail -c +"$((logsize + 1))" "$T/s_server.log" | grep -q -- "$pat"; }; then
      pass "$d"
    else
      echo "(curl exit $rc, HTTP $code)" >>"$T/out"
      fail "$d"
    fi
  }
  if start_server; then
    tls "mTLS handshake with terminal-1 via 127.0.0.1" 200 127.0.0.1 "$DEV/terminal-1"
    tls "mTLS handshake with terminal-1 via localhost" 200 localhost "$DEV/terminal-1"
    tls "mTLS handshake with marketer" 200 127.0.0.1 "$DEV/marketer"
    tls "mTLS handshake with admin" 200 127.0.0.1 "$DEV/admin"
    tls "no client certificate: refused" refused 127.0.0.1 ""
    tls "expired client certificate: refused" refused 127.0.0.1 "$DEV/expired-till" 'certificate has expired'
    tls "revoked client certificate: refused" refused 127.0.0.1 "$DEV/terminal-2" 'certificate revoked'
    tls "client certificate of another CA: refused" refused 127.0.0.1 "$FOREIGN/intruder" 'unable to get local issuer'
    if curl --silent --max-time 10 --cacert "$FOREIGN/ca.pem" --cert "$DEV/terminal-1.pem" --key "$DEV/terminal-1.key" \
      -o /dev/null "https://127.0.0.1:$PORT/" 2>"$T/out"; then
      fail "client trusting another CA refuses the server"
    else pass "client trusting another CA refuses the server"; fi
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  else
    cp "$T/s_server.log" "$T/out"
    fail "start openssl s_server"
  fi
else
  echo "skip mutual TLS checks: curl is not installed"
fi

# ------------------------------------------------------------------ as an unprivileged user
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
  U="$T/as nobody"
  mkdir -p "$U"
  chmod 755 "$T"
  chown nobody "$U"
  as_nobody() { setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups env HOME=/nonexistent "$@"; }
  if as_nobody test -x "$PKI"; then
    expect_ok "dev as nobody" as_nobody "$PKI" dev "$U/dev"
    expect_ok "terminal as nobody" as_nobody "$PKI" terminal "$U/dev" till-7 --store 7
    expect_ok "revoke as nobody" as_nobody "$PKI" revoke "$U/dev" "$U/dev/till-7.pem"
    expect_grep "list as nobody" 'revoked .*CN=till-7$' as_nobody "$PKI" list "$U/dev"
    if [ "$(stat -c '%U %a' "$U/dev/terminal-1.key")" = "nobody 600" ]; then pass "nobody's key mode 0600"; else fail "nobody's key mode 0600"; fi
  else
    echo "skip unprivileged checks: nobody cannot run $PKI"
  fi
fi

echo "== $PASSES passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
