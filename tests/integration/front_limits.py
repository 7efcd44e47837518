"""Request limits of the running coupond (the coupond_running fixture), over raw mutual TLS:
- a till body over its route's limit (8 KiB) is answered 413 payload_too_large and the
  connection closed: as soon as the headers arrive when the body is announced over 2 MiB or
  the client waits for 100-continue; after the body is thrown away otherwise (so that a
  client still sending can read the answer);
- a chunked body over the limit is 413 too, and one over 2 MiB gets the connection closed;
- a route with a larger limit (POST /v1/campaigns, 256 KiB) reads a 100 KiB body;
- a request target with hundreds of query parameters is 414 uri_too_long in JSON;
- a connection without a certificate gets one answer (GET /healthz) and is closed, while one
  with a certificate is kept."""
import ssl
import sys
import time

from front_http import closed_by_peer, connect, listen_address, read_response, request

ADDR = listen_address()
failed = []


def check(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name + (f" ({detail})" if detail and not ok else ""))
    if not ok:
        failed.append(name)


def declared_body_over_limit_is_413_and_closed_unread():
    s = connect(ADDR, "terminal-1")
    head = ("POST /v1/checks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Content-Length: 16777216\r\n\r\n")
    s.sendall(head.encode() + b"{" + b" " * 1000)
    t0 = time.monotonic()
    r = read_response(s, timeout=3)
    took = time.monotonic() - t0
    check("declared_body_over_limit_is_answered_before_the_body", r is not None and took < 2,
          f"{r!r} after {took:.2f} s")
    check("declared_body_over_limit_is_413_payload_too_large",
          r is not None and r.status == 413 and r.json().get("error") == "payload_too_large", repr(r))
    check("answer_says_connection_close",
          r is not None and r.headers.get("connection", "").lower() == "close", repr(r))
    check("connection_is_closed_after_the_413", closed_by_peer(s, 3))
    s.close()


def till_body_of_64_kib_is_413():
    body = b'{"code":"x","basket_cents":100,"pad":"' + b"x" * 65536 + b'"}'
    s = connect(ADDR, "terminal-1")
    request(s, "POST", "/v1/checks", body)  # the whole body at once, as most clients send it
    r = read_response(s, timeout=5)
    check("till_body_of_64_kib_is_413", r is not None and r.status == 413, repr(r))
    check("till_body_of_64_kib_gets_connection_close",
          r is not None and r.headers.get("connection", "").lower() == "close", repr(r))
    check("connection_is_closed_after_the_64_kib_413", closed_by_peer(s, 3))
    s.close()
    s = connect(ADDR, "terminal-1")
    head = ("POST /v1/checks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n")
    s.sendall(head.encode())
    r = read_response(s, timeout=3)
    check("till_body_of_64_kib_waiting_for_100_continue_is_413_at_once",
          r is not None and r.status == 413, repr(r))
    s.close()


def chunked_body_over_limit_is_413_and_closed():
    head = ("POST /v1/checks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b"x" * 16384
    s = connect(ADDR, "terminal-1")
    s.sendall(head + b"%x\r\n" % len(chunk) + chunk + b"\r\n0\r\n\r\n")
    r = read_response(s, timeout=5)
    check("chunked_body_over_limit_is_413", r is not None and r.status == 413, repr(r))
    check("connection_is_closed_after_the_chunked_413", closed_by_peer(s, 3))
    s.close()
    s = connect(ADDR, "terminal-1")
    s.sendall(head)
    closed = False
    try:
        for _ in range(200):  # 3.2 MiB in all, past the 2 MiB coupond throws away
            s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
    except (OSError, ssl.SSLError):
        closed = True
    check("chunked_body_over_2_mib_closes_the_connection", closed or closed_by_peer(s, 3))
    s.close()


def campaign_body_of_100_kib_is_read():
    s = connect(ADDR, "marketer")
    body = b'{"name":"big","pad":"' + b"x" * 100000 + b'"}'
    request(s, "POST", "/v1/campaigns", body)
    r = read_response(s, timeout=5)
    check("campaign_body_of_100_kib_is_read_(400_for_the_unknown_field)",
          r is not None and r.status == 400 and r.json().get("error") == "bad_request", repr(r))
    s.close()


def hundreds_of_query_parameters_are_414_json():
    for n in (300, 1000):
        s = connect(ADDR, "marketer")
        query = "&".join(f"p{i}={i}" for i in range(n))
        request(s, "GET", "/v1/campaigns?" + query)
        r = read_response(s, timeout=5)
        ok = (r is not None and r.status in (414, 431)
              and r.headers.get("content-type") == "application/json"
              and r.json().get("error") == "uri_too_long")
        check(f"{n}_query_parameters_are_414_with_a_json_body", ok, repr(r))
        s.close()
    # Beyond libmicrohttpd's 16 KiB per connection it answers itself (HTML), but it answers.
    s = connect(ADDR, "marketer")
    request(s, "GET", "/v1/campaigns?" + "&".join(f"p{i}={i}" for i in range(3000)))
    r = read_response(s, timeout=5)
    check("a_30_kb_request_target_is_still_answered_414", r is not None and r.status == 414, repr(r))
    s.close()
    s = connect(ADDR, "marketer")
    request(s, "GET", "/v1/campaigns", headers={f"X-H{i}": "v" for i in range(400)})
    r = read_response(s, timeout=5)
    check("400_headers_are_answered_431", r is not None and r.status == 431, repr(r))
    s.close()
    s = connect(ADDR, "marketer")
    request(s, "GET", "/v1/whoami?a=1&b=2&c=3")
    r = read_response(s, timeout=5)
    check("a_few_query_parameters_are_served", r is not None and r.status == 200, repr(r))
    s.close()


def healthz_without_a_certificate_is_answered_once():
    s = connect(ADDR, None)
    request(s, "GET", "/healthz")
    r = read_response(s, timeout=5)
    check("healthz_without_a_certificate_is_answered",
          r is not None and r.status == 200 and r.headers.get("connection", "").lower() == "close",
          repr(r))
    check("connection_without_a_certificate_is_closed_after_one_answer", closed_by_peer(s, 3))
    s.close()
    s = connect(ADDR, "terminal-1")
    request(s, "GET", "/healthz")
    r1 = read_response(s, timeout=5)
    request(s, "GET", "/v1/whoami")
    r2 = read_response(s, timeout=5)
    check("connection_with_a_certificate_is_kept",
          r1 is not None and r1.status == 200 and r2 is not None and r2.status == 200,
          f"{r1!r} {r2!r}")
    s.close()


declared_body_over_limit_is_413_and_closed_unread()
till_body_of_64_kib_is_413()
chunked_body_over_limit_is_413_and_closed()
campaign_body_of_100_kib_is_read()
hundreds_of_query_parameters_are_414_json()
healthz_without_a_certificate_is_answered_once()
if failed:
    print(f"{len(failed)} check(s) failed")
    sys.exit(1)
print("all checks passed")
