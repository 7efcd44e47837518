"""One round of the connection-exhaustion test (t_front_flood.sh): ATTACKERS connections from
127.0.0.2 that never show a certificate - a third plain TCP left idle, a third stopped in the
middle of a TLS ClientHello, a third TLS without a certificate dripping one byte of a request
every 2 s - each reconnecting a second after coupond ends it, while a till on 127.0.0.1 checks a
coupon every 50 ms, one check in five over a new connection (a full handshake).

Prints the till's latencies, the attackers' figures and, per check, PASS or FAIL:
- every till request is answered (200), with p99 under 1 s;
- no attacker connection lives longer than coupond's deadline (DEADLINE s) plus slack: activity
  does not extend it.
Usage: front_flood.py PORT CODE SECONDS DEADLINE"""
import asyncio
import json
import ssl
import sys
import threading
import time

from front_http import connect, read_response, request, tls_context

PORT, CODE, SECONDS, DEADLINE = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
HOST, ATTACKER = "127.0.0.1", "127.0.0.2"
ATTACKERS = 300
SLACK = 1.5
# The start of a TLS 1.2 ClientHello (record header, handshake header, version): then nothing.
HALF_HELLO = bytes.fromhex("160301020001000001fc0303")
DRIP = b"GET /v1/campaigns HTTP/1.1\r\nHost: 127.0.0.1\r\n" * 4


class Stats:
    def __init__(self):
        self.opened = self.refused = self.open_now = self.max_open = 0
        self.lifetimes = []


async def attacker(kind, stats, stop_at):
    loop = asyncio.get_running_loop()
    ctx = tls_context(None)
    while loop.time() < stop_at:
        try:
            if kind == "tls":
                reader, writer = await asyncio.wait_for(asyncio.open_connection(
                    HOST, PORT, ssl=ctx, server_hostname=HOST, local_addr=(ATTACKER, 0)), 10)
            else:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(
                    HOST, PORT, local_addr=(ATTACKER, 0)), 10)
        except (OSError, ssl.SSLError, asyncio.TimeoutError):
            stats.refused += 1
            await asyncio.sleep(1)
            continue
        stats.opened += 1
        stats.open_now += 1
        stats.max_open = max(stats.max_open, stats.open_now)
        opened = loop.time()
        dripper = None
        if kind == "half":
            writer.write(HALF_HELLO)
        elif kind == "tls":
            async def drip():
                for i in range(len(DRIP)):
                    writer.write(DRIP[i:i + 1])
                    await writer.drain()
                    await asyncio.sleep(2)
            dripper = asyncio.ensure_future(drip())
        ended_by_server = False
        try:
            while True:
                left = stop_at - loop.time()
                if left <= 0:
                    break
                data = await asyncio.wait_for(reader.read(65536), left)
                if not data:
                    ended_by_server = True
                    break
        except (OSError, ssl.SSLError):
            ended_by_server = True
        except asyncio.TimeoutError:
            pass
        lifetime = loop.time() - opened
        stats.open_now -= 1
        if dripper is not None:
            dripper.cancel()
        if ended_by_server and lifetime > 0.2:
            stats.lifetimes.append(lifetime)
        elif not ended_by_server:
            stats.lifetimes.append(lifetime)  # still open at the end: as long as it lived
        writer.close()
        if ended_by_server:
            await asyncio.sleep(1)


async def attack(stats, seconds):
    stop_at = asyncio.get_running_loop().time() + seconds
    kinds = ["plain", "half", "tls"]
    tasks = [attacker(kinds[i % 3], stats, stop_at) for i in range(ATTACKERS)]
    await asyncio.gather(*tasks)


def till(results, stop_at):
    body = json.dumps({"code": CODE, "basket_cents": 5000}).encode()
    kept = None
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        fresh = kept is None or n % 5 == 0
        t0 = time.monotonic()
        r = None
        try:
            if fresh:
                if kept is not None:
                    kept.close()
                kept = connect((HOST, PORT), "terminal-1", source=HOST, timeout=5)
            request(kept, "POST", "/v1/checks", body)
            r = read_response(kept, timeout=5)
        except (OSError, ssl.SSLError) as e:
            results["errors"].append(f"{type(e).__name__}: {e}")
        took = time.monotonic() - t0
        if r is None or r.status != 200:
            results["failed"] += 1
            if r is not None:
                results["errors"].append(f"status {r.status}: {r.body[:100]!r}")
            if kept is not None:
                kept.close()
            kept = None
        results["fresh" if fresh else "kept"].append(took)
        time.sleep(max(0.0, 0.05 - took))
    if kept is not None:
        kept.close()


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    results = {"fresh": [], "kept": [], "failed": 0, "errors": []}
    stats = Stats()
    warmup = 3.0  # the attackers take their places first
    t = threading.Thread(target=till, args=(results, time.monotonic() + warmup + SECONDS))
    attack_thread = threading.Thread(target=lambda: asyncio.run(attack(stats, warmup + SECONDS)))
    attack_thread.start()
    time.sleep(warmup)
    t.start()
    t.join()
    attack_thread.join()
    every = results["fresh"] + results["kept"]
    print(f"till: {len(every)} requests ({len(results['fresh'])} on new connections), "
          f"{results['failed']} failed; p50 {pct(every, 50) * 1000:.1f} ms, "
          f"p99 {pct(every, 99) * 1000:.1f} ms, max {max(every) * 1000:.1f} ms; "
          f"new connections: p99 {pct(results['fresh'], 99) * 1000:.1f} ms")
    for e in results["errors"][:5]:
        print("  till error:", e)
    longest = max(stats.lifetimes) if stats.lifetimes else 0
    print(f"attackers: {stats.opened} connections opened, {stats.refused} refused at once, "
          f"at most {stats.max_open} open at a time (as the attackers saw it), longest lived "
          f"{longest:.1f} s")
    failed = 0
    for name, ok in [
        ("till_always_answered", results["failed"] == 0 and len(every) > 0),
        ("till_p99_under_1_s", pct(every, 99) < 1.0),
        ("no_attacker_outlives_the_deadline", longest <= DEADLINE + SLACK),
    ]:
        print(("PASS " if ok else "FAIL ") + name)
        failed += not ok
    sys.exit(1 if failed else 0)


main()
