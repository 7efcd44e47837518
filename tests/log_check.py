#!/usr/bin/env python3
"""Checks coupond serve logs (issue 14): every line is one JSON object with a time, a level and
a message, and no full coupon code or card number appears anywhere in it.

usage: log_check.py PATH...   (files, or directories whose *.log files are read)

A full code is what the service's own scrubber must never let through: a token of letters,
digits and dashes whose letters and digits are all symbols of the code alphabet (Crockford
base32: 0-9 and A-Z without I, L, O, U, either case) and number 16 (a short form: coupon or
card) or 149 or 156 (a signed form). This reading is written here again, apart from
service/log_scrub.c, so that a line that went around the scrubber (a library writing to
standard error, a field logged raw) is caught. Exits 1 with one line per finding, 0 when every
file is clean; an empty list of files is an error (a hook that found no log checked nothing).
"""
import json
import os
import re
import sys

ALPHABET = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
CODE_LENGTHS = {16, 149, 156}
LEVELS = {"debug", "info", "warn", "error"}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def full_codes(text):
    """The tokens of TEXT that are whole codes."""
    found = []
    for m in TOKEN.finditer(text):
        if m.start() > 0 and text[m.start() - 1].isalnum() and text[m.start() - 1].isascii():
            continue
        symbols = m.group(0).replace("-", "").upper()
        if len(symbols) in CODE_LENGTHS and set(symbols) <= ALPHABET:
            found.append(m.group(0))
    return found


def strings(value):
    """Every string in a JSON value (keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def check_file(path):
    problems = []
    lines = 0
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            lines += 1
            where = f"{path}:{n}"
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                problems.append(f"{where}: not UTF-8")
                continue
            if not text.endswith("\n"):
                problems.append(f"{where}: the last line is not ended (a cut record)")
            try:
                rec = json.loads(text)
            except ValueError as e:
                problems.append(f"{where}: not JSON ({e}): {text[:120].rstrip()}")
                continue
            if not isinstance(rec, dict):
                problems.append(f"{where}: not a JSON object")
                continue
            if not (isinstance(rec.get("time"), str) and TIME.match(rec["time"])):
                problems.append(f"{where}: no RFC 3339 time")
            if rec.get("level") not in LEVELS:
                problems.append(f"{where}: no level")
            if not isinstance(rec.get("message"), str):
                problems.append(f"{where}: no message")
            for s in strings(rec):
                for code in full_codes(s):
                    problems.append(f"{where}: a full code or card number: {code[:4]}...")
    return problems, lines


def main(argv):
    files = []
    for p in argv[1:]:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".log"))
        elif os.path.exists(p):
            files.append(p)
    if not files:
        print("log_check: no log to check in " + " ".join(argv[1:]), file=sys.stderr)
        return 1
    problems, total = [], 0
    for f in files:
        p, n = check_file(f)
        problems += p
        total += n
    for p in problems[:50]:
        print(p, file=sys.stderr)
    if len(problems) > 50:
        print(f"... and {len(problems) - 50} more", file=sys.stderr)
    print(f"log_check: {len(files)} log(s), {total} line(s): "
          + ("clean" if not problems else f"{len(problems)} problem(s)"), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
