#!/usr/bin/env bash
# tests/bench/thread_cpu.sh: where coupond's CPU per request goes by thread, over the bench's
# set-up (--threads 8, 16 kept-alive mutual-TLS connections of bin/loadgen_ossl): for each
# phase, the CPU time per request of the libmicrohttpd workers and of every other thread (the
# outbox publisher, the webhook deliverer, the live feed's hub, the CRL and connection
# watchers), from /proc/PID/task/*/schedstat (nanoseconds, not clock ticks), with the context
# switches and system calls per request (perf stat's software events, when perf is there).
# Phases: redeem and check as fast as the loadgen goes, the same at a fixed rate (RATE/s,
# open loop; CPU per request rises as the rate falls, so compare at one rate), GET /healthz
# both ways, and "idle" (20 s with no request: the background threads' own cost per second).
#
#   tests/bench/thread_cpu.sh                          # build/coupond, sql/ of this tree
#   TCPU_BIN=/other/coupond TCPU_PHASES="redeem idle" tests/bench/thread_cpu.sh
#
# Settings: TCPU_N [5000] requests a phase, TCPU_RATE [800], TCPU_BIN [build/coupond],
# TCPU_PHASES [redeem check redeem_rate check_rate healthz healthz_rate idle], BENCH_LISTEN
# [127.0.0.1:18843]; its own embedded cluster var/pg-tcpu (database recreated every run).
# CPU time on a shared machine is noisy: run builds alternately and say how busy it was
# (the load average is printed); tests/bench/seam_cpu.sh counts instructions instead.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$BENCH/../../scripts/lib.sh"

N=${TCPU_N:-5000}
RATE=${TCPU_RATE:-800}
BIN=${TCPU_BIN:-$ROOT/build/coupond}
PHASES=${TCPU_PHASES:-redeem check redeem_rate check_rate healthz healthz_rate idle}
LISTEN=${BENCH_LISTEN:-127.0.0.1:18843}
URL="https://$LISTEN"
CERTS="$ROOT/certs/dev"
WORK=$(mktemp -d)
PID=

cleanup() {
  local rc=$?
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  pg_stop
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$BIN" ] || die "no coupond at $BIN"
make -s -C "$BENCH" >&2
ensure_keys "$BIN"
pg_start pg-tcpu
"$PG_BINDIR/psql" -h "$PG_SOCK" -U "$PG_USER" -d postgres -qAtX \
  -c "DROP DATABASE IF EXISTS coupond" -c "CREATE DATABASE coupond" >/dev/null
"$BIN" migrate --db "$COUPOND_DB" --sql "$ROOT/sql" >&2
"$BIN" serve --listen "$LISTEN" --db "$COUPOND_DB" --cert "$CERTS/server.pem" \
  --key "$CERTS/server.key" --ca "$CERTS/ca.pem" --crl "$CERTS/crl.pem" --keys "$ROOT/var/keys" \
  --sql "$ROOT/sql" --threads 8 --max-connections 4096 --max-connections-per-address 0 \
  >"$WORK/coupond.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
  curl -sf --cacert "$CERTS/ca.pem" "$URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { tail -20 "$WORK/coupond.log" >&2; die "coupond exited"; }
  sleep 0.1
done

api() { # api WHO METHOD PATH [BODY]: the status; the body in $WORK/resp
  local args=(-sS --max-time 600 --cacert "$CERTS/ca.pem" --cert "$CERTS/$1.pem"
    --key "$CERTS/$1.key" -X "$2" -o "$WORK/resp" -w '%{http_code}')
  [ -z "${4:-}" ] || args+=(-H 'Content-Type: application/json' --data-binary "$4")
  curl "${args[@]}" "$URL$3" || true
}
json_num() { grep -o "\"$1\":[0-9]*" "$WORK/resp" | head -1 | cut -d: -f2; }
codes() { # codes NAME FILE: a campaign of N coupons, their short codes into FILE
  local st cid
  st=$(api marketer POST /v1/campaigns "{\"name\":\"$1\",\"channel\":\"mailing\",\"cost_cents\":100000,\"starts_at\":\"2020-01-01T00:00:00Z\",\"ends_at\":\"2099-01-01T00:00:00Z\",\"offer\":{\"kind\":\"percent\",\"value\":10,\"min_basket_cents\":0}}")
  [ "$st" = 201 ] || die "POST /v1/campaigns answered $st"
  cid=$(json_num id)
  st=$(api marketer POST "/v1/campaigns/$cid/coupons" "{\"count\":$N}")
  [ "$st" = 201 ] || die "issuing answered $st"
  st=$(api marketer GET "/v1/campaigns/$cid/coupons.csv")
  [ "$st" = 200 ] || die "coupons.csv answered $st"
  awk -F, 'NR > 1 {print $1}' "$WORK/resp" >"$2"
}
bodies() { # bodies NAME: redemption bodies of a fresh campaign into $WORK/NAME.bodies
  codes "$1" "$WORK/$1.codes"
  awk -v p="$1" '{printf "{\"code\":\"%s\",\"basket_cents\":2500,\"txn_id\":\"%s-%d\"}\n", $1, p, NR}' \
    "$WORK/$1.codes" >"$WORK/$1.bodies"
}
codes check "$WORK/check.codes"
awk '{printf "{\"code\":\"%s\",\"basket_cents\":2500}\n", $1}' "$WORK/check.codes" >"$WORK/check.bodies"

LG=("$BENCH/bin/loadgen_ossl" --url "$URL" --ca "$CERTS/ca.pem" -c 16 -t 1 -d 600 -n "$N")
MTLS=(--cert "$CERTS/terminal-1.pem" --key "$CERTS/terminal-1.key")

# Which thread is which: the function each non-worker thread runs (gdb, when it is there).
declare -A ROLE=()
if command -v gdb >/dev/null; then
  while read -r tid fn; do ROLE[$tid]=$fn; done < <(
    gdb -p "$PID" -batch -ex "thread apply all bt 12" 2>/dev/null | awk '
      /^Thread / {tid = $6; sub(/\)/, "", tid); next}
      / in (publisher|deliverer|hub_main|watch|pool_loop) / {
        for (i = 1; i <= NF; i++) if ($i == "in") print tid, $(i + 1)}
      / main \(/ {print tid, "main"}' | sort -u -k1,1)
fi
# revocation.c starts its watcher before http_guard.c starts its own.
first_watch=$(for t in "${!ROLE[@]}"; do if [ "${ROLE[$t]}" = watch ]; then echo "$t"; fi; done |
  sort -n | head -1)
for t in "${!ROLE[@]}"; do
  [ "${ROLE[$t]}" != watch ] || ROLE[$t]=$([ "$t" = "$first_watch" ] && echo crl_watch || echo guard_watch)
done

snap() { # TID COMM CPU_NS SWITCHES, one line per thread
  local t
  for t in /proc/"$PID"/task/*; do
    echo "${t##*/} $(tr ' ' _ <"$t/comm") $(cut -d' ' -f1 "$t/schedstat")" \
      "$(awk '/ctxt_switches/ {s += $2} END {print s}' "$t/status")"
  done | sort
}
# report N UNIT CS_N CS_UNIT: CPU (microseconds / N) and context switches (/ CS_N) by thread,
# from $WORK/a and $WORK/b.
report() {
  local roles="" t
  for t in "${!ROLE[@]}"; do roles+="$t=${ROLE[$t]} "; done
  join "$WORK/a" "$WORK/b" | awk -v n="$1" -v u="$2" -v csn="$3" -v csu="$4" -v roles="$roles" '
    BEGIN {k = split(roles, r, " "); for (i = 1; i <= k; i++) {split(r[i], kv, "="); role[kv[1]] = kv[2]}}
    {d = ($6 - $3) / 1000 / n; c = ($7 - $4) / csn; tot += d; cs += c
     if ($2 == "MHD-worker") w += d
     else {o += d; name = ($1 in role) ? role[$1] : $2; other[name] += d}}
    END {line = ""; for (x in other) if (other[x] >= 0.05) line = line sprintf(" %s %.1f", x, other[x])
         printf "  coupond CPU %.1f %s: workers %.1f, other threads %.1f (%s ); %.2f context switches%s\n",
           tot, u, w, o, line, cs, csu}'
}
phase() { # phase NAME LOADGEN-ARGS...
  local name=$1 line
  shift
  sleep 1
  snap >"$WORK/a"
  local perf=()
  command -v perf >/dev/null &&
    perf=(perf stat -x ',' -e raw_syscalls:sys_enter -p "$PID" -o "$WORK/perf" --)
  line=$("${perf[@]}" "${LG[@]}" "$@" --label "$name" 2>>"$WORK/loadgen.log")
  snap >"$WORK/b"
  echo "phase=$name load=$(cut -d' ' -f1 /proc/loadavg) $(sed 's/ p90_ms.*//; s/label=[^ ]* //' <<<"$line")"
  report "$N" us/req "$N" /req
  if [ -s "$WORK/perf" ]; then
    awk -F, -v n="$N" '/sys_enter/ && $1 ~ /^[0-9]+$/ {printf "  system calls %.2f/req\n", $1 / n}' "$WORK/perf"
    rm -f "$WORK/perf"
  fi
}
for ph in $PHASES; do
  case $ph in
  redeem | redeem_rate)
    bodies "$ph"
    args=("${MTLS[@]}" -p /v1/redemptions --bodies "$WORK/$ph.bodies" --expect 201)
    [ "$ph" = redeem ] || args+=(--rate "$RATE")
    phase "$ph" "${args[@]}"
    ;;
  check) phase check "${MTLS[@]}" -p /v1/checks --bodies "$WORK/check.bodies" --wrap --expect 200 ;;
  check_rate)
    phase check_rate "${MTLS[@]}" -p /v1/checks --bodies "$WORK/check.bodies" --wrap --expect 200 --rate "$RATE"
    ;;
  healthz) phase healthz "${MTLS[@]}" -p /healthz --expect 200 ;;
  healthz_rate) phase healthz_rate "${MTLS[@]}" -p /healthz --expect 200 --rate "$RATE" ;;
  idle)
    sleep 1
    snap >"$WORK/a"
    sleep 20
    snap >"$WORK/b"
    echo "phase=idle load=$(cut -d' ' -f1 /proc/loadavg) seconds=20"
    report 20000 ms/s 20 /s # ns / 1000 / 20000 = ms per second
    ;;
  *) die "unknown phase $ph" ;;
  esac
done
