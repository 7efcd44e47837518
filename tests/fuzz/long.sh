#!/bin/sh
# The long fuzz runs recorded in docs/RELIABILITY.md: runs fuzz target $2 (built by run.sh
# into build directory $1) at nice 19 until it has used $3 CPU-minutes (default 30), on
# its seed corpus and a scratch corpus under $1/fuzz-corpus/, then stops it with SIGINT
# so libFuzzer prints its final statistics. The log is $1/fuzz-long-$2.log; the last
# line says target, CPU-minutes, executions and whether anything was found.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR TARGET [CPU_MINUTES]" >&2; exit 2; }
build=$(cd "$1" && pwd) t=$2 minutes=${3:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
name=${t#fuzz_}
case $t in
fuzz_svc_config | fuzz_pos_config) max_len=8192 ;;
fuzz_json_in) max_len=2048 ;;
fuzz_crl) max_len=4096 ;;
*) max_len=512 ;;
esac
work=$build/fuzz-corpus/$name log=$build/fuzz-long-$t.log
mkdir -p "$work" "$build/fuzz-artifacts"
nice -n 19 "$build/tests/$t" -max_total_time=86400 -max_len=$max_len -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" \
    "$work" "$root/tests/fuzz/corpus_$name" >"$log" 2>&1 &
pid=$!
tick=$(getconf CLK_TCK)
limit=$((minutes * 60 * tick))
while kill -0 "$pid" 2>/dev/null; do
    # utime + stime of the fuzzer, in clock ticks (fields 14 and 15 of /proc/PID/stat).
    used=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    if [ "$used" -ge "$limit" ]; then
        kill -INT "$pid"
        break
    fi
    sleep 10
done
rc=0
wait "$pid" || rc=$?
used_min=$(awk -v u="${used:-0}" -v t="$tick" 'BEGIN{printf "%.1f", u / t / 60}')
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
findings=$(find "$build/fuzz-artifacts" -name "$t-*" | wc -l)
echo "$t: ${used_min} CPU-minutes, ${execs:-?} executions, $findings findings (exit $rc)" | tee -a "$log"
