#!/usr/bin/env bash
# a_stalled_tls_handshake_costs_no_cpu: a client that sends the start of a ClientHello and
# stops must not keep a worker busy (libmicrohttpd 0.9.75's epoll loop spins on it; coupond
# uses its poll() loop). Over 3 s the service may use at most 0.3 CPU-seconds.
set -euo pipefail
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
host=${listen%:*} port=${listen##*:}
pid=$(cat "${COUPOND_BUILD_DIR:?}/coupond.pid")
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
exec 3<>"/dev/tcp/$host/$port"
printf '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' >&3
sleep 0.2
a=$(ticks); sleep 3; b=$(ticks)
exec 3>&-
hz=$(getconf CLK_TCK)
echo "coupond used $((b - a)) ticks ($hz per CPU-second) in 3 s with one stalled handshake"
[ $((b - a)) -le $((hz * 3 / 10)) ]
