#!/usr/bin/env bash
# The chaos suite: tills (chaos_tills, real mutual TLS) redeem coupons, earn and burn points
# and void some of it, retrying every txn_id until coupond answers, while faults hit:
#   kill      coupond killed with SIGKILL at random moments (restarted at once, as a supervisor would)
#   pgstop    PostgreSQL stopped with -m immediate (a crash) and started again
#   freeze    PostgreSQL frozen with SIGSTOP for 10 s: coupond must answer 503 with a sentence
#             within its statement deadline (--db-deadline, default 5 s) and recover by itself
#   diskfull  PostgreSQL's data directory (a size-limited tmpfs) filled up: coupond must answer
#             503, never 500, write nothing half, and recover when the space returns
# Then audit.py (an independent, bank-style checker) proves against the database that every
# acknowledged operation exists exactly once and that the books balance, and figures.py
# measures the recovery after every fault.
#
# Usage: tests/chaos/run.sh [short|long] [BUILD_DIR]
#   short (scripts/test): 6 kills, 4 PostgreSQL crashes, 1 freeze, 1 disk full, ~2 minutes
#   long  (docs/RELIABILITY.md): 30 kills, 20 PostgreSQL crashes, 1 freeze, 1 disk full
# CHAOS_FAULTS picks faults (default "kill pgstop freeze diskfull"), CHAOS_SEED the seed.
# Runs a private PostgreSQL cluster of its own (data directory on a tmpfs it mounts, so root
# or sudo is needed) and coupond on CHAOS_LISTEN (default 127.0.0.1:18851). Results: the
# work directory it prints (ops, events, faults.tsv, figures.md, audit.json, logs).
set -euo pipefail
form=${1:-short}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${2:-$src/build}" && pwd)
# shellcheck source=/dev/null
. "$src/scripts/lib.sh"
case $form in
short) kills=6 pgstops=4 tills=6 pause=25 per_till=700 ;;
long) kills=30 pgstops=20 tills=8 pause=20 per_till=2500 ;;
*) die "usage: $0 [short|long] [BUILD_DIR]" ;;
esac
listen=${CHAOS_LISTEN:-127.0.0.1:18851}
seed=${CHAOS_SEED:-$(date +%s)}
d="$src/certs/dev"
bindir=$(pg_bindir)
{ [ -x "$build/coupond" ] && [ -x "$build/tests/chaos_tills" ]; } || die "build $build first (coupond, chaos_tills)"
[ -f "$d/terminal-1.key" ] || die "no dev PKI in $d (scripts/test makes it)"

if [ "$(id -u)" -eq 0 ]; then
  PG_USER=coupond
  id -u coupond >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin coupond
else
  PG_USER=$(id -un)
fi
work=$(mktemp -d /var/tmp/coupond-chaos.XXXXXX)
chmod 755 "$work"
mnt="$work/pgdata" data="$work/pgdata/data" sock="$work/sock" out="$work/out"
mkdir -p "$mnt" "$sock" "$out"
as_root mount -t tmpfs -o "size=${CHAOS_DATA_MB:-192}m,mode=0755" chaos-pgdata "$mnt"
mkdir -p "$data" "$work/wal" "$work/log" 2>/dev/null || as_root mkdir -p "$data" "$work/wal" "$work/log"
as_root chown "$PG_USER" "$data" "$work/wal" "$sock" "$work/log"
as_root chmod 700 "$data" "$work/wal" "$sock"

cpid='' tpid='' 
now_ms() { date +%s%3N; }
pgctl() { pg_as "$bindir/pg_ctl" -D "$data" "$@"; }
cleanup() {
  set +e # everything below is tried, whatever fails
  [ -n "$tpid" ] && kill "$tpid" 2>/dev/null
  [ -n "$cpid" ] && { kill -9 "$cpid"; wait "$cpid"; } 2>/dev/null
  pkill -CONT -u "$PG_USER" -f "$data" 2>/dev/null || true
  pgctl -m immediate stop >/dev/null 2>&1 || true
  as_root umount "$mnt" 2>/dev/null || as_root umount -l "$mnt" 2>/dev/null || true
  if [ -z "${CHAOS_KEEP:-}" ]; then
    rm -rf "$build/chaos-$form"; mkdir -p "$build/chaos-$form"
    cp -r "$out/." "$build/chaos-$form/" 2>/dev/null || true
    as_root rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "chaos ($form, seed $seed): PostgreSQL data on a ${CHAOS_DATA_MB:-192} MB tmpfs at $mnt, WAL on disk"
pg_as "$bindir/initdb" -D "$data" --waldir="$work/wal" -U "$PG_USER" --auth=peer -E UTF8 \
  --locale=C.UTF-8 >/dev/null
pg_as tee -a "$data/postgresql.conf" >/dev/null <<CONF
listen_addresses = ''
max_connections = 60
shared_buffers = 64MB
log_min_messages = warning
CONF
pg_access "$data"
pg_start_chaos() {
  pgctl -l "$work/log/server.log" -w -t 120 -o "-k '$sock' -c unix_socket_permissions=0700" start >/dev/null
}
pg_start_chaos
pg_as "$bindir/createdb" -h "$sock" coupond
db="host=$sock dbname=coupond user=$PG_USER"
"$build/coupond" migrate --db "$db" --sql "$src/sql" >/dev/null

start_coupond() {
  # shellcheck disable=SC2086 # CHAOS_COUPOND_ARGS: more flags, split into words
  "$build/coupond" serve --listen "$listen" --db "$db" --cert "$d/server.pem" --key "$d/server.key" \
    --ca "$d/ca.pem" --crl "$d/crl.pem" --keys "$src/var/keys" --sql "$src/sql" \
    ${CHAOS_COUPOND_ARGS:-} >>"$out/coupond.log" 2>&1 &
  cpid=$!
  for _ in $(seq 1 200); do
    curl -s -o /dev/null --cacert "$d/ca.pem" "https://$listen/healthz" && return 0
    kill -0 "$cpid" 2>/dev/null || break
    sleep 0.05
  done
  tail -20 "$out/coupond.log" >&2
  die "coupond did not start on $listen"
}
start_coupond

# ---- the books the tills work on
M=(-sf --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key")
campaign() { # NAME OFFER_JSON [MAX]
  local extra=""
  [ -n "${3:-}" ] && extra=",\"max_redemptions\":$3"
  curl "${M[@]}" -d "{\"name\":\"chaos $1 $seed\",\"channel\":\"app\",\"cost_cents\":1000,\"starts_at\":\"2020-01-01T00:00:00Z\",\"ends_at\":\"2099-01-01T00:00:00Z\",\"offer\":$2$extra}" \
    "https://$listen/v1/campaigns" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
issue() { # CAMPAIGN COUNT: the codes, one a line
  local n=$2 c
  while [ "$n" -gt 0 ]; do
    c=$((n > 1000 ? 1000 : n))
    curl "${M[@]}" -d "{\"count\":$c}" "https://$listen/v1/campaigns/$1/coupons" |
      python3 -c 'import json,sys; [print(c["code"]) for c in json.load(sys.stdin)["coupons"]]'
    n=$((n - c))
  done
}
plain=$(campaign plain '{"kind":"amount","value":500,"min_basket_cents":1000}')
capped=$(campaign capped '{"kind":"percent","value":10}' 300)
points=$(campaign points '{"kind":"points","value":50}')
for _ in $(seq 1 24); do
  curl "${M[@]}" -X POST "https://$listen/v1/cards" | python3 -c 'import json,sys; print(json.load(sys.stdin)["card"])'
done >"$out/cards.txt"
issue "$plain" $((tills * per_till * 6 / 10)) >"$out/plain.txt"
issue "$capped" $((tills * per_till * 2 / 10)) >"$out/capped.txt"
issue "$points" $((tills * per_till * 2 / 10)) | while read -r c; do
  echo "$c $(shuf -n 1 "$out/cards.txt")"
done >"$out/points.txt"
issue "$plain" 200 >"$out/shared.txt"
cat "$out/plain.txt" "$out/capped.txt" "$out/points.txt" | shuf --random-source=<(yes "$seed") >"$out/coupons.txt"
echo "$plain $capped $points" >"$out/campaigns.txt"
say "books: campaigns $plain (plain) $capped (capped at 300) $points (points); $(wc -l <"$out/coupons.txt") coupons, 200 shared, 24 cards"

# ---- tills and faults
rm -f "$work/stop"
"$build/tests/chaos_tills" "https://$listen" "$d" "$out/coupons.txt" "$out/shared.txt" "$out/cards.txt" \
  "$out" "$work/stop" "$tills" "$pause" "$seed" &
tpid=$!
fault() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$out/faults.tsv"; }
rnd_sleep() { sleep "$(awk -v a="$1" -v b="$2" -v r="$RANDOM" 'BEGIN{printf "%.2f", a + (b - a) * r / 32767}')"; }
pg_pids() { pgrep -u "$PG_USER" -f "$data" || true; pgrep -u "$PG_USER" -P "$(head -1 "$data/postmaster.pid")" || true; }
sleep 3
faults=" ${CHAOS_FAULTS:-kill pgstop freeze diskfull} "
[[ $faults == *" kill "* ]] || kills=0
[[ $faults == *" pgstop "* ]] || pgstops=0

say "fault 1: SIGKILL coupond $kills times"
for _ in $(seq 1 "$kills"); do
  rnd_sleep 1 3.5
  t=$(now_ms); kill -9 "$cpid"; wait "$cpid" 2>/dev/null || true
  start_coupond; fault kill "$t" "$(now_ms)"
done
sleep 2

say "fault 2: PostgreSQL stopped -m immediate and restarted $pgstops times"
for _ in $(seq 1 "$pgstops"); do
  rnd_sleep 1 3
  t=$(now_ms); pgctl -m immediate stop >/dev/null
  rnd_sleep 0.5 2
  pg_start_chaos; fault pgstop "$t" "$(now_ms)"
done
sleep 3

if [[ $faults == *" freeze "* ]]; then
say "fault 3: PostgreSQL frozen (SIGSTOP) for 10 s"
pids=$(pg_pids | sort -u)
t=$(now_ms)
# shellcheck disable=SC2086 # a list of pids
as_root kill -STOP $pids
sleep 10
# shellcheck disable=SC2086
as_root kill -CONT $pids
fault freeze "$t" "$(now_ms)"
sleep 4
fi

if [[ $faults == *" diskfull "* ]]; then
say "fault 4: PostgreSQL's data directory out of space"
t=$(now_ms)
as_root dd if=/dev/zero of="$mnt/filler" bs=1M status=none 2>/dev/null || true
as_root df -h "$mnt" | tail -1 >&2
sleep "${CHAOS_FULL_S:-8}"
as_root rm -f "$mnt/filler"
fault diskfull "$t" "$(now_ms)"
sleep 5
fi

say "stopping the tills (each finishes its operation in flight)"
touch "$work/stop"
wait "$tpid"; tpid=
"$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1 || pg_as "$bindir/pg_ctl" status -D "$data" >/dev/null ||
  { say "PostgreSQL is down after the run; starting it for the audit"; pg_start_chaos; }
cp "$work/log/server.log" "$out/postgres.log" 2>/dev/null || true
status=0
# The last coupond stops cleanly (an ASan build reports leaks here); no sanitizer report
# from any of them.
kill -TERM "$cpid"
crc=0
wait "$cpid" || crc=$?
cpid=''
[ "$crc" -eq 0 ] || { say "coupond exited with status $crc on SIGTERM"; status=1; }
if grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$out/coupond.log"; then
  grep -A20 -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$out/coupond.log" | head -60 >&2
  say "sanitizer report in coupond's log"
  status=1
fi
python3 "$here/audit.py" "$db" "$out" "$seed" >"$out/audit.json" || status=1
python3 "$here/figures.py" "$out" "$form" "${CHAOS_DEADLINE_MS:-5000}" >"$out/figures.md" || status=1
cat "$out/figures.md"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print("audit:", json.dumps(a["summary"]))' "$out/audit.json" || true
[ "$status" -eq 0 ] || { say "chaos FAILED (work directory kept in $build/chaos-$form)"; exit 1; }
say "chaos passed: nothing lost, nothing doubled, the books balance"
