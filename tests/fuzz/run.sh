#!/bin/sh
# Builds the fuzz targets with clang (libFuzzer + ASan + UBSan) into build
# directory $1 and runs each for $2 seconds (default 20) on its seed corpus in
# tests/fuzz/corpus_<name>/ (code formats, request-body JSON readers, libcoupon's RFC 3339
# parser (which the till uses too), both configuration file readers, the till journal, the
# CRL loading path).
# New inputs go to a scratch corpus
# under the build directory, crashes to $1/fuzz-artifacts/. Exits non-zero if
# the build fails or any target finds a crash, leak or timeout.
set -eu

usage() {
    echo "usage: $0 BUILD_DIR [SECONDS]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
build=$1
seconds=${2:-20}
case $seconds in '' | *[!0-9]*) usage ;; esac
root=$(cd "$(dirname "$0")/../.." && pwd)
targets="fuzz_short fuzz_signed fuzz_pos_journal fuzz_crl fuzz_json_in fuzz_rfc3339 fuzz_svc_config fuzz_pos_config"
cc=${CC:-clang}
command -v "$cc" >/dev/null || cc=clang-14
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

mkdir -p "$build"
build=$(cd "$build" && pwd)
if [ -f "$build/CMakeCache.txt" ] && ! grep -q '^CMAKE_C_COMPILER:.*clang' "$build/CMakeCache.txt"; then
    echo "run.sh: $build was configured with another compiler; use a fresh directory" >&2
    exit 2
fi
bin=$build/tests

# Instrument the library too (fuzzer-no-link), not only the target files.
if CC=$cc cmake -S "$root" -B "$build" -DCOUPOND_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link $sanitize" >"$build/fuzz-configure.log" 2>&1; then
    # shellcheck disable=SC2086 # two target names
    cmake --build "$build" -j2 --target $targets
else
    # The whole tree does not configure (another part is mid-edit): build the
    # targets directly from lib/ with the project's warning flags.
    echo "run.sh: cmake configure failed (see $build/fuzz-configure.log);" \
        "building the fuzz targets directly" >&2
    bin=$build/fuzz-direct
    mkdir -p "$bin"
    for t in $targets; do
        # The sources each target needs besides libcoupon.
        case $t in
        fuzz_json_in) extra="$root/service/json_in.c" inc="-I$root/service" ;;
        fuzz_svc_config) extra="$root/service/config.c $root/service/log.c $root/service/log_scrub.c"
            inc="-I$root/service" ;;
        fuzz_pos_config) extra="$root/pos-client/config.c $root/pos-client/money.c $root/pos-client/i18n.c" inc="-I$root/pos-client" ;;
        fuzz_pos_journal) extra="$root/pos-client/journal.c" inc="-I$root/pos-client" ;;
        fuzz_crl) extra="$root/service/crl.c" inc="" ;;
        *) extra="" inc="" ;;
        esac
        # shellcheck disable=SC2046,SC2086 # word splitting wanted
        "$cc" -std=c11 -g -O1 -Wall -Wextra -Werror -Wformat=2 -Wstrict-prototypes \
            -Wmissing-prototypes -Wshadow -Wvla -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
            -fsanitize=fuzzer $sanitize -I"$root/include" $inc \
            $(pkg-config --cflags libsodium libqrencode libpng jansson gnutls libcurl) \
            "$root/tests/fuzz/$t.c" "$root"/lib/*.c $extra -o "$bin/$t" \
            $(pkg-config --libs libsodium libqrencode libpng jansson gnutls) -lcrypto
    done
fi

# FUZZ_BUILD_ONLY=1: build the targets and stop (scripts/test builds them early, in the
# background, and runs them later).
[ -z "${FUZZ_BUILD_ONLY:-}" ] || exit 0
mkdir -p "$build/fuzz-artifacts"
# FUZZ_JOBS=N (default 1): N targets at once, each still for SECONDS (scripts/test: 2, one per
# core); each target's output is shown when it ends.
jobs=${FUZZ_JOBS:-1}
case $jobs in '' | *[!0-9]* | 0) usage ;; esac
# fuzz_one TARGET: runs it, its output in $build/fuzz-TARGET.out; exits 1 on a finding.
fuzz_one() {
    t=$1
    name=${t#fuzz_}
    work=$build/fuzz-corpus/$name
    mkdir -p "$work"
    # Longest input: the config readers' lines are up to 4 KiB (past it is a case to try).
    case $t in
    fuzz_svc_config | fuzz_pos_config) max_len=8192 ;;
    fuzz_json_in) max_len=2048 ;;
    fuzz_crl) max_len=4096 ;; # a CRL with a few entries
    *) max_len=512 ;;
    esac
    if ! "$bin/$t" -max_total_time="$seconds" -max_len=$max_len -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$build/fuzz-artifacts/$t-" "$work" "$root/tests/fuzz/corpus_$name" \
        >"$build/fuzz-$t.out" 2>&1; then
        echo "== $t FAILED: see $build/fuzz-artifacts/" >>"$build/fuzz-$t.out"
        return 1
    fi
}
status=0
# shellcheck disable=SC2086 # the target names, one word each
set -- $targets
while [ $# -gt 0 ]; do
    running="" n=0
    while [ $# -gt 0 ] && [ "$n" -lt "$jobs" ]; do
        echo "== $1: $seconds s"
        fuzz_one "$1" &
        running="$running $1:$!" n=$((n + 1))
        shift
    done
    for tp in $running; do
        wait "${tp#*:}" || status=1
        cat "$build/fuzz-${tp%%:*}.out"
    done
done
exit $status
