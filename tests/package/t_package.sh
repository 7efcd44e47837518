#!/usr/bin/env bash
# The Debian packages end to end, as root on this machine:
#  1. scripts/package builds coupond and coupond-pos-client (lintian errors fail it);
#  2. dpkg -i installs them: the user coupond, /var/lib/coupond, a first signing key;
#  3. systemd-analyze verifies the installed units and rates coupond.service's sandbox
#     (2.0 or better); the man pages format without a warning;
#  4. the installed coupond starts the way coupond.service would start it (its ExecStartPre
#     and ExecStart lines, as the user coupond, without privileges, from
#     /etc/coupond/coupond.conf) against a database of the test's PostgreSQL; it reports
#     READY=1 on $NOTIFY_SOCKET, serves /healthz, /livez, /readyz and mutual-TLS calls (curl
#     and the installed pos-client); ExecReload (SIGHUP) with a new server certificate and a
#     new signing key in /etc/coupond: RELOADING=1 then READY=1, a new connection sees the
#     new certificate, GET /v1/keys the new key; a broken certificate on the next reload is
#     refused and changes nothing; on SIGTERM it sends STOPPING=1, drains and exits 0, and
#     every line of its log is JSON; the timers' services run from their unit lines too;
#  5. dpkg --remove, then apt install of the .deb files (as the README says) keeps the
#     edited conffile and the key;
#  6. dpkg --purge leaves nothing behind but the user coupond (Debian keeps system users).
# There is no systemd as PID 1 here, so the sandbox itself is only rated, not run.
# Needs COUPOND_DB (scripts/test's PostgreSQL), the dev PKI in certs/dev, and root or sudo.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
d="$src/certs/dev"
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
host=${listen%:*}
port=$((${listen##*:} + 1)) # beside the integration tests' coupond
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
ok() { echo "ok (${SECONDS} s): $*"; }

[ -n "${COUPOND_DB:-}" ] || fail "COUPOND_DB is not set (run through scripts/test)"
[ -f "$d/server.key" ] || fail "no dev PKI in $d (run through scripts/test)"

# 1. Build (scripts/package fails on any lintian error). A developer with sudo builds as
# themself and installs and purges as root; CI runs all of it as root.
pkgs="$src/build/packages"
if [ -z "${COUPOND_PACKAGES_BUILT:-}" ]; then
  plog=$(mktemp)
  "$src/scripts/package" >"$plog" 2>&1 || { cat "$plog" >&2; rm -f "$plog"; fail "scripts/package"; }
  rm -f "$plog"
fi
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "needs root or sudo (dpkg -i, dpkg --purge)"
  exec sudo --preserve-env=COUPOND_DB,COUPOND_TEST_LISTEN COUPOND_PACKAGES_BUILT=1 bash "$0"
fi
deb=$(ls "$pkgs"/coupond_*_*.deb)
posdeb=$(ls "$pkgs"/coupond-pos-client_*_*.deb)
ok "packages built: $(basename "$deb") $(basename "$posdeb")"
if grep -E '^(W|E): ' "$pkgs/lintian.log"; then fail "lintian warnings or errors (see above)"; fi
ok "lintian: no errors, no warnings"

# One package test per machine at a time: dpkg and /etc/coupond are shared.
mkdir -p /run/lock
exec 8>/run/lock/coupond-package-test.lock
flock -w 600 8 || fail "another package test holds /run/lock/coupond-package-test.lock"

marker=/etc/coupond/.package-test
if dpkg-query -W -f='${Status}' coupond 2>/dev/null | grep -qE 'installed|config-files'; then
  [ -e "$marker" ] || fail "the coupond package is installed on this machine and not by this test: remove it first"
  dpkg --purge coupond coupond-pos-client >/dev/null
fi
if dpkg-query -W -f='${Status}' coupond-pos-client 2>/dev/null | grep -q installed; then
  fail "coupond-pos-client is installed on this machine and not by this test: remove it first"
fi

work=$(mktemp -d /tmp/coupond-package-test.XXXXXX)
chmod 755 "$work"
db=coupond_pkg_test
pid='' notify_pid=''
cleanup() {
  local rc=$?
  [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
  [ -z "$notify_pid" ] || kill "$notify_pid" 2>/dev/null || true
  # "config-files": removed but not purged (a failure between step 5's remove and install).
  if dpkg-query -W -f='${Status}' coupond 2>/dev/null | grep -qE 'installed|config-files'; then
    rm -f /etc/coupond/ca.pem /etc/coupond/crl.pem /etc/coupond/server.pem /etc/coupond/server.key
    dpkg --purge coupond coupond-pos-client >/dev/null 2>&1 || true
  fi
  psql "$COUPOND_DB dbname=postgres" -Xq -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  [ "$rc" -eq 0 ] || { echo "--- coupond's log:"; cat "$work/coupond.log" 2>/dev/null || true; } >&2
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 2. Install.
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" "$posdeb" >"$work/dpkg.log" 2>&1 ||
  { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
touch "$marker"
getent passwd coupond >/dev/null || fail "no user coupond after install"
[ "$(stat -c '%U %a' /var/lib/coupond)" = "coupond 750" ] || fail "/var/lib/coupond: $(stat -c '%U %a' /var/lib/coupond)"
[ "$(stat -c '%U %a' /etc/coupond/keys)" = "coupond 700" ] || fail "/etc/coupond/keys: $(stat -c '%U %a' /etc/coupond/keys)"
[ "$(stat -c '%U %a' /etc/coupond/keys/sign-1.key)" = "coupond 600" ] || fail "no first signing key readable by coupond only"
for f in /usr/bin/coupond /usr/bin/pos-client /usr/sbin/coupond-pki /usr/share/coupond/sql/migrations/0001_principals.sql \
  /lib/systemd/system/coupond.socket \
  /usr/share/coupond/sql/functions/0302_redeem.sql /etc/coupond/coupond.conf /etc/coupond/pos-client.conf \
  /lib/systemd/system/coupond.service /usr/share/man/man8/coupond.8.gz /usr/share/man/man5/coupond.conf.5.gz \
  /usr/share/man/man8/coupond-pki.8.gz /usr/share/man/man1/pos-client.1.gz; do
  [ -e "$f" ] || fail "not installed: $f"
done
grep -qx /etc/coupond/coupond.conf /var/lib/dpkg/info/coupond.conffiles || fail "coupond.conf is not a conffile"
grep -qx /etc/coupond/pos-client.conf /var/lib/dpkg/info/coupond-pos-client.conffiles || fail "pos-client.conf is not a conffile"
[ "$(/usr/bin/coupond --version)" = "coupond $(dpkg-query -W -f='${Version}' coupond)" ] || fail "coupond --version: $(/usr/bin/coupond --version)"
/usr/bin/coupond --help | grep -q '^usage: coupond' || fail "coupond --help"
/usr/sbin/coupond-pki --help | grep -q '^usage: coupond-pki' || fail "coupond-pki --help"
ok "installed: user, state directory, first key, files, conffiles, --version, --help"

# 3. Units and man pages.
units=(/lib/systemd/system/coupond.service /lib/systemd/system/coupond.socket
  /lib/systemd/system/coupond-expire-points.service
  /lib/systemd/system/coupond-expire-points.timer /lib/systemd/system/coupond-crl-check.service
  /lib/systemd/system/coupond-crl-check.timer)
out=$(systemd-analyze verify "${units[@]}" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify complains: $out"
for u in coupond coupond-expire-points coupond-crl-check; do
  rating=$(systemd-analyze security --offline=yes "/lib/systemd/system/$u.service" 2>&1 |
    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
  [ -n "$rating" ] || fail "no rating for $u.service"
  awk -v r="$rating" 'BEGIN { exit !(r <= 2.0) }' || fail "$u.service is rated $rating, above 2.0"
  ok "systemd-analyze security: $u.service $rating"
done
grep -q '^Type=notify$' /lib/systemd/system/coupond.service || fail "coupond.service is not Type=notify"
for page in man1/pos-client.1 man5/coupond.conf.5 man8/coupond.8 man8/coupond-pki.8; do
  warn=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "/usr/share/man/$page.gz" 2>&1 >/dev/null)
  [ -z "$warn" ] || fail "man --warnings $page: $warn"
done
ok "systemd-analyze verify: units accepted; man pages format without warnings"

# 4. The installed coupond, as coupond.service runs it.
PGOPTIONS='-c client_min_messages=warning' psql "$COUPOND_DB dbname=postgres" -Xq \
  -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
install -m 0644 "$d/ca.pem" "$d/crl.pem" "$d/server.pem" /etc/coupond/
install -m 0640 -g coupond "$d/server.key" /etc/coupond/
printf '\n# added by the package test\nlisten = %s:%s\ndb = %s dbname=%s\n' "$host" "$port" "$COUPOND_DB" "$db" >>/etc/coupond/coupond.conf

python3 - "$work/notify.sock" "$work/notify.log" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode() + "\n")
PY
notify_pid=$!
for _ in $(seq 50); do [ -S "$work/notify.sock" ] && break; sleep 0.1; done

# unit_exec UNIT KEY: the command line of KEY= in UNIT (one line, no prefixes like '-' or '+').
unit_exec() { sed -n "s/^$2=//p" "/lib/systemd/system/$1" | head -n 1; }
# as_unit CMD...: as User=coupond with NoNewPrivileges, no capabilities, UMask=0077 and
# the environment systemd gives a service.
# It execs: call it in a subshell, or as a background job (then $! is coupond itself).
as_unit() {
  umask 077
  exec env -i HOME=/var/lib/coupond USER=coupond LOGNAME=coupond SHELL=/usr/sbin/nologin \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ${NOTIFY_SOCKET:+NOTIFY_SOCKET=$NOTIFY_SOCKET} \
    setpriv --reuid=coupond --regid=coupond --init-groups --no-new-privs --bounding-set=-all \
    --inh-caps=-all "$@"
}
pre=$(unit_exec coupond.service ExecStartPre)
start=$(unit_exec coupond.service ExecStart)
{ [ -n "$pre" ] && [ -n "$start" ]; } || fail "coupond.service lacks ExecStartPre or ExecStart"
# shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
(as_unit $pre) >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log" >&2; fail "ExecStartPre: $pre"; }
ok "ExecStartPre ($pre) migrated the database"
# shellcheck disable=SC2086
NOTIFY_SOCKET="$work/notify.sock" as_unit $start >"$work/coupond.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
  grep -q '^READY=1' "$work/notify.log" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || fail "the installed coupond exited before READY=1"
  sleep 0.1
done
grep -q '^READY=1' "$work/notify.log" || fail "no READY=1 within 30 s"
[ "$(stat -c %U "/proc/$pid")" = coupond ] || fail "coupond does not run as the user coupond"
ok "ExecStart ($start) sent READY=1, runs as coupond"

url="https://$host:$port"
curl -sS --fail --max-time 10 --cacert "$d/ca.pem" "$url/healthz" | grep -q '"status": *"ok"' || fail "/healthz"
[ "$(curl -sS --max-time 10 --cacert "$d/ca.pem" "$url/readyz")" = '{"status":"ready","database":"ok"}' ] || fail "/readyz"
[ "$(curl -sS --max-time 10 --cacert "$d/ca.pem" "$url/livez")" = '{"status":"alive"}' ] || fail "/livez"
keys=$(curl -sS --fail --max-time 10 --cacert "$d/ca.pem" --cert "$d/terminal-1.pem" --key "$d/terminal-1.key" "$url/v1/keys")
python3 -c 'import json,sys; k=json.loads(sys.argv[1]); assert k.get("keys"), k' "$keys" ||
  fail "GET /v1/keys did not list the postinst's key: $keys"
st=$(POS_URL=$url POS_CA=$d/ca.pem POS_CERT=$d/terminal-1.pem POS_KEY=$d/terminal-1.key POS_STATE=$work/pos \
  /usr/bin/pos-client status) || fail "installed pos-client status: $st"
case $st in *"store 1"*) ;; *) fail "pos-client status: $st" ;; esac
ok "serves /healthz, GET /v1/keys over mutual TLS, and the installed pos-client: $st"

# A reload as an operator does one: a new server certificate (of another CA, to tell them
# apart) and a new signing key put in /etc/coupond, then ExecReload.
/usr/sbin/coupond-pki init "$work/ca2" --name "package test CA" >/dev/null
/usr/sbin/coupond-pki server "$work/ca2" pkg-server --dns localhost --ip "$host" --out "$work" >/dev/null
install -m 0644 "$work/pkg-server.pem" /etc/coupond/server.pem.new
install -m 0640 -g coupond "$work/pkg-server.key" /etc/coupond/server.key.new
mv -f /etc/coupond/server.key.new /etc/coupond/server.key
mv -f /etc/coupond/server.pem.new /etc/coupond/server.pem
(as_unit /usr/bin/coupond keygen --keys /etc/coupond/keys) >/dev/null || fail "coupond keygen as coupond"
reload=$(unit_exec coupond.service ExecReload)
# reload_now: ExecReload's command line with $MAINPID, then wait for the reload's end.
reload_now() {
  local n
  n=$(grep -c '^READY=1' "$work/notify.log")
  # shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
  ${reload//\$MAINPID/$pid} || fail "ExecReload: $reload"
  for _ in $(seq 100); do
    [ "$(grep -c '^READY=1' "$work/notify.log")" -gt "$n" ] && return 0
    sleep 0.1
  done
  fail "no READY=1 within 10 s of ExecReload"
}
reload_now
kill -0 "$pid" 2>/dev/null || fail "ExecReload stopped coupond"
grep -q '^RELOADING=1' "$work/notify.log" || fail "no RELOADING=1 on ExecReload"
grep -q '"reload done"' "$work/coupond.log" || fail "the reload was not applied: $(grep reload "$work/coupond.log")"
curl -sS --fail --max-time 10 --cacert "$work/ca2/ca.pem" "$url/readyz" >/dev/null ||
  fail "a new connection does not see the new server certificate"
keys=$(curl -sS --fail --max-time 10 --cacert "$work/ca2/ca.pem" --cert "$d/terminal-1.pem" --key "$d/terminal-1.key" "$url/v1/keys")
python3 -c 'import json,sys; k=json.loads(sys.argv[1])["keys"]; assert [x["id"] for x in k if x["current"]] == [2], k' "$keys" ||
  fail "GET /v1/keys after the reload: $keys"
ok "ExecReload: RELOADING=1, READY=1; new connections see the new certificate, new coupons the new key"
printf 'garbage\n' >/etc/coupond/server.pem
reload_now
grep -q '"reload refused' "$work/coupond.log" || fail "a broken certificate on reload was not refused"
curl -sS --fail --max-time 10 --cacert "$work/ca2/ca.pem" "$url/readyz" >/dev/null ||
  fail "a broken certificate on reload changed the certificate in force"
install -m 0644 "$work/pkg-server.pem" /etc/coupond/server.pem
ok "ExecReload with a broken certificate: refused with a log line, nothing changed"

for u in coupond-expire-points.service coupond-crl-check.service; do
  cmd=$(unit_exec "$u" ExecStart)
  # shellcheck disable=SC2086
  out=$(as_unit $cmd 2>&1) || fail "$u: $cmd: $out"
  ok "$u: $out"
done

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=''
[ "$rc" -eq 0 ] || fail "coupond exited with $rc on SIGTERM"
grep -q '^STOPPING=1' "$work/notify.log" || fail "no STOPPING=1 on SIGTERM"
grep -q '"drained: every request in flight finished' "$work/coupond.log" || fail "no drain on SIGTERM"
python3 "$src/tests/log_check.py" "$work/coupond.log" || fail "the installed coupond's log fails the log check"
ok "SIGTERM: STOPPING=1, drained, exit 0; every log line JSON, no code in it"

# 5. Removed (not purged) and installed again with apt as the README says (apt install
# ./coupond_*.deb checks the dependencies; here they are all installed, so nothing is
# downloaded): the edited conffile and the key are kept.
key_sum=$(sha256sum /etc/coupond/keys/sign-1.key)
dpkg --remove coupond coupond-pos-client >"$work/remove.log" 2>&1 ||
  { cat "$work/remove.log" >&2; fail "dpkg --remove"; }
DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=300 \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "$deb" "$posdeb" >"$work/dpkg2.log" 2>&1 ||
  { cat "$work/dpkg2.log" >&2; fail "apt-get install ./coupond_*.deb (again)"; }
grep -q '^Setting up coupond ' "$work/dpkg2.log" || { cat "$work/dpkg2.log" >&2; fail "apt did not set coupond up again"; }
grep -q '^# added by the package test' /etc/coupond/coupond.conf || fail "reinstalling lost the edited coupond.conf"
[ "$(sha256sum /etc/coupond/keys/sign-1.key)" = "$key_sum" ] || fail "reinstalling replaced the signing key"
[ ! -e /etc/coupond/keys/sign-3.key ] || fail "reinstalling made another key"
ok "dpkg --remove, then apt install ./coupond_*.deb: conffile edits and the key kept"

# 6. Purge: the admin removes what they put in /etc/coupond, then nothing may remain.
dpkg -L coupond coupond-pos-client | sort -u >"$work/files"
rm -f /etc/coupond/ca.pem /etc/coupond/crl.pem /etc/coupond/server.pem /etc/coupond/server.key "$marker"
dpkg --purge coupond coupond-pos-client >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg --purge"; }
left=()
while IFS= read -r f; do
  case $f in /. | /etc | /lib | /lib/systemd | /lib/systemd/system | /usr | /usr/bin | /usr/sbin | /usr/share | \
    /usr/share/doc | /usr/share/man | /usr/share/man/man* | /var | /var/lib | \
    /usr/share/locale | /usr/share/locale/de | /usr/share/locale/de/LC_MESSAGES) continue ;; esac
  [ ! -e "$f" ] || left+=("$f")
done <"$work/files"
for f in /etc/coupond /var/lib/coupond /usr/share/coupond /usr/share/doc/coupond; do
  [ ! -e "$f" ] || left+=("$f")
done
while IFS= read -r f; do left+=("$f"); done < <(
  find /var/lib/dpkg/info /etc/systemd /var/lib/systemd -name 'coupond*' 2>/dev/null
)
[ ${#left[@]} -eq 0 ] || fail "left behind after purge: ${left[*]}"
dpkg-query -W -f='${Status}' coupond 2>/dev/null | grep -q installed && fail "coupond still installed"
getent passwd coupond >/dev/null || fail "purge removed the user coupond (Debian keeps system users)"
grep -q 'directory .* not empty' "$work/purge.log" && fail "purge warned: $(cat "$work/purge.log")"
ok "dpkg --purge: nothing left but the user coupond"
echo "PASS"
