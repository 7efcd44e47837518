#!/usr/bin/env bash
# keep_log.sh FILE NAME: keeps the log FILE of a coupond serve a test started as
# <build dir>-NAME.log in $COUPOND_TEST_LOGS (set by scripts/test), where scripts/test checks every line of every
# coupond log of the suite with tests/log_check.py. Does nothing when $COUPOND_TEST_LOGS is
# unset (a test run by hand) or FILE is missing. Not a test itself (ctest runs t_*.sh only).
set -u
[ -n "${COUPOND_TEST_LOGS:-}" ] && [ -f "$1" ] || exit 0
mkdir -p "$COUPOND_TEST_LOGS" &&
  cp -f "$1" "$COUPOND_TEST_LOGS/$(basename "${COUPOND_BUILD_DIR:-build}")-$2.log"
exit 0
