#!/usr/bin/env python3
"""A live-feed (GET /v1/events) reader for the tests: reads server-sent events as a marketer,
checks each message (an "id:" line and JSON "data:" carrying that id and its type), and drops
its connection abruptly RECONNECTS times at random points, resuming each time with
Last-Event-ID. Once the file STOP holds a number H, it reads on until event H (or, with a
filter, until the stream is quiet after the head) and writes every id it received, one per
line, to OUT; "keepalives N" and "reconnects N" go to OUT.status.
Usage: sse_client.py BASE_URL CERTS_DIR RECONNECTS STOP OUT [QUERY [AFTER]]"""
import http.client
import json
import os
import random
import ssl
import sys
import time
import urllib.parse

base, certs, reconnects, stop_file, out = sys.argv[1:6]
query = sys.argv[6] if len(sys.argv) > 6 else ""
start = int(sys.argv[7]) if len(sys.argv) > 7 else 0
reconnects = int(reconnects)
u = urllib.parse.urlsplit(base)
ctx = ssl.create_default_context(cafile=f"{certs}/ca.pem")
ctx.load_cert_chain(f"{certs}/marketer.pem", f"{certs}/marketer.key")
random.seed(1515)
ids, last, done_reconnects, keepalives = [], start, 0, 0


def status():
    with open(out + ".status", "w") as f:
        f.write(f"reconnects {done_reconnects}\nkeepalives {keepalives}\nlast {last}\n")


def stop_at():
    try:
        return int(open(stop_file).read().strip())
    except (OSError, ValueError):
        return None


while True:
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)
    conn.request("GET", "/v1/events" + query, headers={"Last-Event-ID": str(last)})
    r = conn.getresponse()
    if r.status != 200:
        sys.exit(f"GET /v1/events answered {r.status}: {r.read()[:300]!r}")
    assert r.getheader("Content-Type", "").startswith("text/event-stream"), r.getheader("Content-Type")
    budget = random.randint(1, 30) if done_reconnects < reconnects else None
    msg = {}
    finished = False
    while True:
        line = r.readline()
        if not line:
            sys.exit("the stream ended unexpectedly")
        line = line.decode().rstrip("\n")
        if line.startswith(":"):
            keepalives += "keep-alive" in line
            continue
        if line == "":
            if "data" in msg:
                if msg.get("event") == "close":
                    sys.exit(f"the stream was closed: {msg['data']}")
                data = json.loads(msg["data"])
                eid = int(msg["id"])
                assert data["id"] == eid and "." in data["type"], (msg, data)
                ids.append(eid)
                last = eid
                if budget is not None:
                    budget -= 1
            msg = {}
            h = stop_at()
            if h is not None and last >= h:
                finished = True
                break
            if budget == 0:
                break
            continue
        key, _, value = line.partition(":")
        msg[key] = value[1:] if value.startswith(" ") else value
    if finished:
        break
    # Drop the connection abruptly, mid-stream, and resume.
    r.fp = None
    conn.sock.close()
    conn.close()
    done_reconnects += 1
    status()
status()
with open(out, "w") as f:
    f.writelines(f"{i}\n" for i in ids)
