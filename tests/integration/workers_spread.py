"""Drives t_workers_spread.sh: opens N mutual-TLS connections to one coupond, one after another
(each answers GET /v1/whoami before the next opens), while CONNINFO's coupons table is locked
sends one check of CODE on each at once, and counts coupond's sessions waiting for the lock
(each worker thread has one database session and serves one request at a time, so N waiting
means the N connections are on N workers). Then releases the lock and reads the answers.

  workers_spread.py PORT CODE N CONNINFO

Prints "waiting: K of N; answers: STATUS..." and exits 0 when K == N and every answer is 200."""
import json
import subprocess
import sys
import time

from front_http import connect, read_response, request

PORT, CODE, N, CONNINFO = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]


def psql(sql):
    return subprocess.run(["psql", CONNINFO, "-qAtX", "-c", sql], check=True,
                          capture_output=True, text=True).stdout.strip()


socks = []
for _ in range(N):
    s = connect(("127.0.0.1", PORT), "terminal-1")
    request(s, "GET", "/v1/whoami")
    r = read_response(s)
    assert r is not None and r.status == 200, r
    socks.append(s)

holder = subprocess.Popen(["psql", CONNINFO, "-qAtX", "-c",
                           "BEGIN; LOCK TABLE coupons IN ACCESS EXCLUSIVE MODE;"
                           " SELECT pg_sleep(3); COMMIT;"], stdout=subprocess.DEVNULL)
for _ in range(100):
    if psql("SELECT count(*) FROM pg_locks WHERE relation = 'coupons'::regclass"
            " AND mode = 'AccessExclusiveLock' AND granted") == "1":
        break
    time.sleep(0.02)
else:
    sys.exit("the lock was never taken")

body = json.dumps({"code": CODE, "basket_cents": 2500}).encode()
for s in socks:
    request(s, "POST", "/v1/checks", body)
most, until = 0, time.monotonic() + 2.0
while time.monotonic() < until and most < N:
    most = max(most, int(psql("SELECT count(*) FROM pg_stat_activity"
                              " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                              " AND pid <> pg_backend_pid()")))
    time.sleep(0.05)
holder.wait()
answers = []
for s in socks:
    r = read_response(s, timeout=10)
    answers.append(r.status if r is not None else "none")
print(f"waiting: {most} of {N}; answers: {' '.join(map(str, answers))}")
sys.exit(0 if most == N and all(a == 200 for a in answers) else 1)
