#!/usr/bin/env bash
# The coupond_running ctest fixture: start BUILD_DIR/coupond serving on
# $COUPOND_TEST_LISTEN (default 127.0.0.1:18743) against $COUPOND_DB with the dev PKI,
# or stop it and fail if it did not exit cleanly (sanitizer reports included).
# The functional tests open up to 65 connections at once; under ASan on a busy 2-core machine
# their handshakes can queue for longer than the 5 s default handshake deadline, so the
# fixture allows 30 s (t_front_flood.sh tests the deadline itself, with the default).
set -euo pipefail
cmd=$1 build=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
d="$src/certs/dev"
pidfile="$build/coupond.pid" log="$build/coupond.log" exitfile="$build/coupond.exit"

case "$cmd" in
start)
  [ -n "${COUPOND_DB:-}" ] || { echo "COUPOND_DB is not set (run through scripts/test)" >&2; exit 1; }
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")"; sleep 1
  fi
  rm -f "$exitfile"
  : >"$log"
  setsid bash -c '"$@" >>"'"$log"'" 2>&1 </dev/null; echo $? >"'"$exitfile"'"' _ \
    "$build/coupond" serve --listen "$listen" --db "$COUPOND_DB" \
    --cert "$d/server.pem" --key "$d/server.key" --ca "$d/ca.pem" --crl "$d/crl.pem" \
    --keys "$src/var/keys" --sql "$src/sql" --handshake-deadline 30 >/dev/null 2>&1 </dev/null &
  for _ in $(seq 1 100); do
    pid=$(pgrep -n -f "^$build/coupond serve --listen $listen" || true)
    if [ -n "$pid" ] && curl -sf --cacert "$d/ca.pem" "https://$listen/healthz" >/dev/null 2>&1; then
      echo "$pid" >"$pidfile"
      echo "coupond $pid serving https://$listen"
      exit 0
    fi
    [ -f "$exitfile" ] && break
    sleep 0.1
  done
  pkill -TERM -f "^$build/coupond serve --listen $listen" 2>/dev/null || true
  echo "coupond did not come up; its log:" >&2; cat "$log" >&2; exit 1
  ;;
stop)
  [ -f "$pidfile" ] || { echo "no coupond to stop"; exit 0; }
  pid=$(cat "$pidfile"); rm -f "$pidfile"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do [ -f "$exitfile" ] && break; sleep 0.1; done
  rc=$(cat "$exitfile" 2>/dev/null || echo missing)
  if grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$log"; then
    echo "sanitizer report in $log:" >&2; grep -A30 -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$log" | head -80 >&2
    exit 1
  fi
  [ "$rc" = 0 ] || { echo "coupond exited with status $rc; log tail:" >&2; tail -30 "$log" >&2; exit 1; }
  echo "coupond stopped cleanly"
  ;;
*) echo "usage: daemon.sh start|stop BUILD_DIR" >&2; exit 2 ;;
esac
