"""Drives t_group_commit.sh: many tills redeem at once over mutual TLS against one coupond
(--group-commit), so that their redemptions go to PostgreSQL in groups.

  group_commit.py PORT CODES_FILE TAG OUT_FILE [BOOM_EVERY]

Every code is redeemed twice at the same time, by two threads under two txn_ids (racing
tills); then every winner's txn_id is sent again (a till's retry). With BOOM_EVERY N, every
Nth code's first txn_id is "gcboom-..." (the test's trigger makes the database fail those).
Writes one line per request to OUT_FILE: "code txn status redemption_id reason"."""
import json
import sys
import threading

from front_http import connect, read_response, request

PORT, CODES, TAG, OUT = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
BOOM = int(sys.argv[5]) if len(sys.argv) > 5 else 0
THREADS = 16
codes = [c.strip() for c in open(CODES) if c.strip()]
lines, lock = [], threading.Lock()


def redeem(sock, code, txn):
    body = json.dumps({"code": code, "basket_cents": 2500, "txn_id": txn}).encode()
    request(sock, "POST", "/v1/redemptions", body)
    r = read_response(sock, timeout=30)
    if r is None:
        return "none", "", ""
    j = r.json() if r.body else {}
    return str(r.status), str(j.get("redemption_id", "")), j.get("error", j.get("reason", ""))


def worker(idx, jobs):
    sock = connect(("127.0.0.1", PORT), "terminal-1")
    for code, txn in jobs:
        status, rid, why = redeem(sock, code, txn)
        if status == "none":  # the connection ended: one more on a new one
            sock = connect(("127.0.0.1", PORT), "terminal-1")
            status, rid, why = redeem(sock, code, txn)
        with lock:
            lines.append(f"{code} {txn} {status} {rid or '-'} {why or '-'}")


def run(jobs_per_thread):
    threads = [threading.Thread(target=worker, args=(i, j)) for i, j in enumerate(jobs_per_thread)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def first_txn(i):
    return f"gcboom-{TAG}-{i}" if BOOM and i % BOOM == 0 else f"gca-{TAG}-{i}"


# Racing: half the threads take the codes in order, the other half in reverse, each code
# under two txn_ids.
half = THREADS // 2
jobs = [[] for _ in range(THREADS)]
for i, code in enumerate(codes):
    jobs[i % half].append((code, first_txn(i)))
    jobs[half + (len(codes) - 1 - i) % half].append((code, f"gcb-{TAG}-{i}"))
for j in jobs[half:]:
    j.reverse()
run(jobs)
# The tills' retries: every request that was booked (201), again under its txn_id.
won = [ln.split() for ln in lines if ln.split()[2] == "201"]
retry = [[] for _ in range(THREADS)]
for k, w in enumerate(won):
    retry[k % THREADS].append((w[0], w[1]))
first = len(lines)
run(retry)
with open(OUT, "w") as f:
    f.write("\n".join(lines[:first]) + "\n")
with open(OUT + ".retries", "w") as f:
    f.write("\n".join(lines[first:]) + "\n")
