#!/usr/bin/env python3
"""A line that loses answers, for the till tests (t_pos_client.sh, t_pos_tmux.sh).

Listens with TLS on 127.0.0.1:PORT as the coupon service would (server certificate, client
certificate required), and forwards each request of a till over its own mutual TLS connection to
the real coupond at UPSTREAM (as that till: the same terminal certificate), then passes the answer
back. When the file ARM holds text, the next request whose request line contains it is forwarded
and answered by coupond as usual, but its answer never reaches the till: the till's connection is
closed instead, as when a store's line fails after the service booked the call. ARM is emptied
then. Every request is logged to LOG as "METHOD PATH STATUS passed|dropped".

usage: pos_lost_answer.py PORT UPSTREAM_HOST:PORT CA SERVER_CERT SERVER_KEY TILL_CERT TILL_KEY ARM LOG
"""
import socket
import ssl
import sys
import threading


def read_request(conn):
    """Reads one HTTP/1.1 request (head and Content-Length body); None at end of input."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head, body


def forward(head, body, upstream, client_ctx):
    """Sends the request to coupond on a connection of its own; returns the whole answer."""
    lines = [line for line in head.split(b"\r\n")
             if not line.lower().startswith(b"connection:")]
    request = b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + body
    host, port = upstream.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as raw:
        with client_ctx.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(request)
            answer = b""
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    return answer
                answer += chunk


def serve(raw, args, server_ctx, client_ctx, lock):
    """Serves one till connection (its TLS handshake too, so a slow one holds up no other)."""
    upstream, arm, log = args[2], args[8], args[9]
    conn = raw
    try:
        raw.settimeout(60)
        conn = server_ctx.wrap_socket(raw, server_side=True)
        while True:
            request = read_request(conn)
            if request is None:
                return
            head, body = request
            request_line = head.split(b"\r\n")[0].decode("ascii", "replace")
            answer = forward(head, body, upstream, client_ctx)
            status = answer.split(b" ", 2)[1].decode("ascii", "replace") if answer else "-"
            with lock:
                with open(arm, encoding="ascii") as f:
                    armed = f.read().strip()
                drop = armed != "" and armed in request_line
                if drop:
                    open(arm, "w", encoding="ascii").close()
                method, path = request_line.split(" ")[:2]
                with open(log, "a", encoding="ascii") as f:
                    f.write(f"{method} {path} {status} {'dropped' if drop else 'passed'}\n")
            if drop:
                return  # the answer is lost: the till's connection just closes
            conn.sendall(answer)
            return  # coupond said Connection: close
    except (OSError, ssl.SSLError, ValueError):
        return
    finally:
        conn.close()


def main():
    args = sys.argv
    if len(args) != 10:
        sys.exit(__doc__)
    port, ca, server_cert, server_key, till_cert, till_key = (
        int(args[1]), args[3], args[4], args[5], args[6], args[7])
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(server_cert, server_key)
    server_ctx.load_verify_locations(ca)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.load_verify_locations(ca)
    client_ctx.load_cert_chain(till_cert, till_key)
    lock = threading.Lock()
    with socket.create_server(("127.0.0.1", port)) as listener:
        while True:
            raw, _ = listener.accept()
            threading.Thread(target=serve, args=(raw, args, server_ctx, client_ctx, lock),
                             daemon=True).start()


if __name__ == "__main__":
    main()
