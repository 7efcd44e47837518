#!/usr/bin/env python3
"""A live-feed reader that stops reading: connects (receive buffer 4 KiB) as a marketer with
Last-Event-ID: 0, reads the response head, writes "ready" to READY, then reads nothing for
STALL seconds, then reads the rest until the server ends the stream (30 s at most). Prints the ids it got
(first and last), how many, and the closing message's JSON ("none" when there was none).
Usage: sse_stall.py HOST PORT CERTS_DIR STALL READY"""
import json
import socket
import ssl
import sys
import time

host, port, certs, stall, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5]
ctx = ssl.create_default_context(cafile=f"{certs}/ca.pem")
ctx.load_cert_chain(f"{certs}/marketer.pem", f"{certs}/marketer.key")
raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
raw.connect((host, port))
s = ctx.wrap_socket(raw, server_hostname=host)
s.sendall(f"GET /v1/events HTTP/1.1\r\nHost: {host}\r\nLast-Event-ID: 0\r\n\r\n".encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(1)
head, _, buf = buf.partition(b"\r\n\r\n")
assert head.startswith(b"HTTP/1.1 200"), head
open(ready, "w").write("ready\n")
time.sleep(stall)
s.settimeout(5)
deadline = time.time() + 30
while time.time() < deadline:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    if not chunk:
        break
    buf += chunk
    if buf.endswith(b"0\r\n\r\n"):
        break
# De-chunk.
body, rest = b"", buf
while rest:
    size_line, _, rest = rest.partition(b"\r\n")
    n = int(size_line.split(b";")[0], 16)
    if n == 0 or len(rest) < n:
        break
    body, rest = body + rest[:n], rest[n + 2:]
ids, close = [], None
for block in body.decode().split("\n\n"):
    fields = dict(l.split(": ", 1) for l in block.split("\n") if ": " in l and not l.startswith(":"))
    if fields.get("event") == "close":
        close = json.loads(fields["data"])
    elif "id" in fields:
        ids.append(int(fields["id"]))
contiguous = ids == list(range(ids[0], ids[0] + len(ids))) if ids else True
print(f"{ids[0] if ids else 0} {ids[-1] if ids else 0} {len(ids)} {'contiguous' if contiguous else 'GAPS'} "
      f"{json.dumps(close) if close else 'none'}")
