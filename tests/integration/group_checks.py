"""Drives t_group_commit.sh's checks: POST /v1/checks for every code of CODES_FILE with two
baskets, over mutual TLS against one coupond, on THREADS connections at once (1: one after
another, so that every check goes alone; more: they meet in groups).

  group_checks.py PORT CODES_FILE THREADS OUT_FILE

Writes one sorted line per check to OUT_FILE: "code basket status valid discount_cents
campaign_id points reason"."""
import json
import sys
import threading

from front_http import connect, read_response, request

PORT, CODES, THREADS, OUT = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
codes = [c.strip() for c in open(CODES) if c.strip()]
jobs = [(code, basket) for code in codes for basket in (1500, 2500)]
lines, lock = [], threading.Lock()


def check(sock, code, basket):
    body = json.dumps({"code": code, "basket_cents": basket}).encode()
    request(sock, "POST", "/v1/checks", body)
    r = read_response(sock, timeout=30)
    if r is None:
        return None
    j = r.json() if r.body else {}
    return " ".join(str(v) for v in (r.status, j.get("valid"), j.get("discount_cents"),
                                     j.get("campaign_id"), j.get("points", 0),
                                     j.get("reason", "-")))


def worker(mine):
    sock = connect(("127.0.0.1", PORT), "terminal-1")
    for code, basket in mine:
        answer = check(sock, code, basket)
        if answer is None:  # the connection ended: once more on a new one
            sock = connect(("127.0.0.1", PORT), "terminal-1")
            answer = check(sock, code, basket)
        with lock:
            lines.append(f"{code} {basket} {answer}")


threads = [threading.Thread(target=worker, args=(jobs[i::THREADS],)) for i in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(OUT, "w") as f:
    f.write("\n".join(sorted(lines)) + "\n")
