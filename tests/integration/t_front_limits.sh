#!/usr/bin/env bash
# request_limits_answer_in_json_and_close: bodies over a route's limit are 413 and the
# connection is closed unread; a request target with hundreds of query parameters is 414 with
# a JSON body (see front_limits.py).
set -euo pipefail
exec python3 "$(dirname "$0")/front_limits.py"
