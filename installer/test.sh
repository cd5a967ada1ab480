#!/bin/sh
# Install what certlink needs, build it with AddressSanitizer + UBSan and warnings as errors, and run the
# whole ctest suite. README's second quick-start command; .ci/run runs exactly this.
#   installer/test.sh [ctest arguments...]     e.g. installer/test.sh -L unit
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/installer/deps.sh"

build=${CERTLINK_BUILD_DIR:-"$top/build-test"}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCERTLINK_WERROR=ON -DCERTLINK_SANITIZE=ON >/dev/null
cmake --build "$build" -j "$(nproc)"

# The fuzz targets, built with clang and libFuzzer, replay their corpora under ctest too (label "fuzz").
fuzzbuild="$build-fuzz"
CC=clang cmake -S "$top" -B "$fuzzbuild" -DCMAKE_BUILD_TYPE=Debug -DCERTLINK_FUZZ=ON -DCERTLINK_GTK=OFF \
	-DCERTLINK_WERROR=ON >/dev/null
cmake --build "$fuzzbuild" -j "$(nproc)" --target certlink-fuzzers

# The system trust store test runs the real p11-kit/update-ca-certificates inside a private mount namespace
# over throwaway copies and checks the real bundle is unchanged (tests/core/test-systemtrust.c); it needs root.
export CERTLINK_TEST_SYSTEM_TRUST="${CERTLINK_TEST_SYSTEM_TRUST:-1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
(cd "$build" && ctest --output-on-failure --timeout 600 -j "$(nproc)" "$@") || status=$?
# A short bounded libFuzzer run of every target on top of the corpus replay (label "fuzz").
(cd "$fuzzbuild" && ctest --output-on-failure --timeout 300 -L fuzz) || status=$?
exit $status
