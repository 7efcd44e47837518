#!/usr/bin/env python3
"""Redeems every code of a file at a till (terminal-1 of the dev PKI) over keep-alive mutual
TLS, from CONCURRENCY threads; prints "ok N refused N failed N" and, with a fifth argument,
writes "txn_id redemption_id" lines to that file.
Usage: redeem_many.py BASE_URL CERTS_DIR CODES_FILE TXN_PREFIX CONCURRENCY [OUT]"""
import http.client
import json
import ssl
import sys
import threading
import urllib.parse

base, certs, codes_file, prefix, conc = sys.argv[1:6]
out_file = sys.argv[6] if len(sys.argv) > 6 else None
u = urllib.parse.urlsplit(base)
ctx = ssl.create_default_context(cafile=f"{certs}/ca.pem")
ctx.load_cert_chain(f"{certs}/terminal-1.pem", f"{certs}/terminal-1.key")
codes = [c.strip() for c in open(codes_file) if c.strip()]
lock = threading.Lock()
counts = {"ok": 0, "refused": 0, "failed": 0}
answers = []


def worker(k, n):
    conn = None
    for i in range(k, len(codes), n):
        body = json.dumps({"code": codes[i], "basket_cents": 1000, "txn_id": f"{prefix}-{i}"})
        result = "failed"
        for _ in range(5):
            try:
                if conn is None:
                    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)
                conn.request("POST", "/v1/redemptions", body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                data = r.read()
                if r.status in (200, 201):
                    result = "ok"
                    with lock:
                        answers.append((f"{prefix}-{i}", json.loads(data)["redemption_id"]))
                elif r.status in (409, 422):
                    result = "refused"
                break
            except (OSError, http.client.HTTPException):
                conn = None
        with lock:
            counts[result] += 1


threads = [threading.Thread(target=worker, args=(k, int(conc))) for k in range(int(conc))]
for t in threads:
    t.start()
for t in threads:
    t.join()
if out_file:
    with open(out_file, "w") as f:
        for txn, rid in answers:
            f.write(f"{txn} {rid}\n")
print(f"ok {counts['ok']} refused {counts['refused']} failed {counts['failed']}")
