"""Raw HTTPS for the front-door tests: mutual TLS with the dev PKI over a plain socket, so a
test controls every byte and sees exactly when coupond answers and when it closes."""
import json
import os
import socket
import ssl
import time

SRC = os.environ.get("COUPOND_SOURCE_DIR", ".")
DEV = os.path.join(SRC, "certs", "dev")


def listen_address(offset=0):
    host, port = os.environ.get("COUPOND_TEST_LISTEN", "127.0.0.1:18743").rsplit(":", 1)
    return host, int(port) + offset


def tls_context(who=None):
    """A client context trusting the dev CA and presenting certs/dev/WHO (None: nothing)."""
    ctx = ssl.create_default_context(cafile=os.path.join(DEV, "ca.pem"))
    if who is not None:
        ctx.load_cert_chain(os.path.join(DEV, who + ".pem"), os.path.join(DEV, who + ".key"))
    return ctx


def connect(addr, who=None, source=None, timeout=10):
    raw = socket.create_connection(addr, timeout=timeout,
                                   source_address=(source, 0) if source else None)
    return tls_context(who).wrap_socket(raw, server_hostname=addr[0])


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.headers} {self.body[:200]!r}>"


def read_response(sock, timeout=5):
    """Reads one HTTP/1.1 response (Content-Length framed). Returns a Response, or None when
    the connection ends (or TIMEOUT passes) before a whole one arrived."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    try:
        while b"\r\n\r\n" not in data:
            if time.monotonic() > deadline:
                return None
            chunk = sock.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            rest += chunk
        return Response(status, headers, rest[:length])
    except (socket.timeout, ssl.SSLError, ConnectionError, OSError):
        return None


def closed_by_peer(sock, timeout=3):
    """True when the peer ends the connection within TIMEOUT (EOF or reset)."""
    sock.settimeout(timeout)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except (ConnectionError, ssl.SSLError):
        return True
    except (socket.timeout, OSError):
        return False


def request(sock, method, path, body=None, headers=None):
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    for k, v in (headers or {}).items():
        head += f"{k}: {v}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    sock.sendall(head.encode() + b"\r\n" + (body or b""))
