#!/usr/bin/env bash
# tills_wait_in_the_socket_queue_while_coupond_restarts: socket activation as coupond.socket
# does it (sd_listen_fds: fd 3, LISTEN_FDS=1, LISTEN_PID). First with systemd's own
# systemd-socket-activate: the till's first connection is made before coupond runs, and is
# served once it has started on the socket it was passed (its listen setting unused). Then a
# holder that keeps the listening socket across a restart as systemd does: coupond gets
# SIGTERM and exits 0; a till connects and sends its request while no coupond runs; a new
# coupond, started on the same socket, answers it; and the listening socket itself never
# closed (no connection refused).
# shellcheck source=tests/integration/front_lib.sh
. "$(dirname "$0")/front_lib.sh"
port=$(own_port 9)
unused=$(own_port 8) # coupond's --listen: never bound when a socket is passed
serve=("$b/coupond" serve --listen "127.0.0.1:$unused" --cert "$d/server.pem" --key "$d/server.key"
  --ca "$d/ca.pem" --crl "$d/crl.pem" --keys "$s/var/keys" --sql "$s/sql")
livez() { curl -s --max-time "${1:-20}" --cacert "$d/ca.pem" "https://127.0.0.1:$port/livez"; }

echo "== systemd-socket-activate: the first connection starts coupond"
SERVE_LOGS+=(activate)
systemd-socket-activate -l "127.0.0.1:$port" -E COUPOND_DB "${serve[@]}" >>"$T/activate.log" 2>&1 &
act=$!
PIDS+=("$act")
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
check "first_connection_is_served" [ "$(livez)" = '{"status":"alive"}' ]
check "coupond_says_it_was_passed_the_socket" grep -q "listening on https://127.0.0.1:$port (the socket the service manager passed" "$T/activate.log"
check "its_listen_setting_was_not_bound" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$unused) 2>/dev/null"
kill -TERM "$act"
rc=0
wait "$act" || rc=$?
check "coupond_exits_0_on_sigterm" [ "$rc" -eq 0 ]
grep -v '^{' "$T/activate.log" >"$T/activate.tool" || true # systemd-socket-activate's own lines
grep '^{' "$T/activate.log" >"$T/activate.json" && mv "$T/activate.json" "$T/activate.log"

echo "== a restart on a held socket: the till waits and is served by the next coupond"
SERVE_LOGS+=(held)
python3 - "$port" "$T/held.log" "$T/holder.ctl" "${serve[@]}" <<'PY' &
# Holds a listening socket as systemd does for coupond.socket, and starts coupond on it
# (fd 3, LISTEN_FDS=1, LISTEN_PID of the child) each time a line "start" appears in CTL;
# "stop" sends SIGTERM and waits. The socket stays open all along.
import os, signal, socket, sys, time
port, log, ctl, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(128)
open(ctl, "w").close()
child, done = None, 0
while True:
    lines = open(ctl).read().split()
    for cmd in lines[done:]:
        if cmd == "start":
            child = os.fork()
            if child == 0:
                os.dup2(ls.fileno(), 3)
                os.environ["LISTEN_FDS"] = "1"
                os.environ["LISTEN_PID"] = str(os.getpid())
                fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                os.execv(argv[0], argv)
        elif cmd == "stop":
            os.kill(child, signal.SIGTERM)
            _, status = os.waitpid(child, 0)
            with open(ctl + ".rc", "a") as f:
                f.write("%d\n" % (os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128))
        elif cmd == "exit":
            sys.exit(0)
    done = len(lines)
    time.sleep(0.05)
PY
holder=$!
PIDS+=("$holder")
for _ in $(seq 1 50); do [ -f "$T/holder.ctl" ] && break; sleep 0.1; done
echo start >>"$T/holder.ctl"
check "first_coupond_serves_the_held_socket" [ "$(livez)" = '{"status":"alive"}' ]
echo stop >>"$T/holder.ctl"
for _ in $(seq 1 100); do [ -s "$T/holder.ctl.rc" ] && break; sleep 0.1; done
check "first_coupond_exits_0" [ "$(cat "$T/holder.ctl.rc" 2>/dev/null)" = 0 ]
# No coupond runs now: the till's connection waits in the socket's queue.
livez 30 >"$T/waiting.out" &
till=$!
sleep 1.5
check "the_till_is_still_waiting_not_refused" kill -0 "$till"
echo start >>"$T/holder.ctl"
wait "$till" || true
check "the_waiting_till_is_answered_by_the_next_coupond" [ "$(cat "$T/waiting.out")" = '{"status":"alive"}' ]
check "the_next_coupond_was_passed_the_socket" [ "$(grep -c "the socket the service manager passed" "$T/held.log")" -eq 2 ]
echo stop >>"$T/holder.ctl"
echo exit >>"$T/holder.ctl"
wait "$holder" || true

[ "$FAILED" -eq 0 ] || { echo "$FAILED check(s) failed"; exit 1; }
echo "socket activation: all checks passed"
