#!/usr/bin/env bash
# tests/bench/statement_sql.sh NAME: prints the SQL of the statement coupond prepares as NAME
# (service/db_statements.c, the C string's pieces joined), or nothing when it has none, so
# that a benchmark can run in pgbench or a single-user backend exactly what coupond runs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
python3 - "$ROOT/service/db_statements.c" "$1" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
m = re.search(r'\.name = "' + re.escape(sys.argv[2]) + r'",\s*\.sql =((?:\s*"(?:[^"\\]|\\.)*")+)', src)
if m:
    print("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))))
PY
