#!/usr/bin/env bash
# Runs the whole test suite (what `make test` and CI run) and, when it fails,
# repeats every failure at the very end of the output, so that the last lines
# of a long log (all a CI summary may keep) say what failed and why.
set -uo pipefail
cd "$(dirname "$0")/.."
swift=${SWIFT:-swift}
mkdir -p build
log=build/test.log
# shellcheck disable=SC2086  # SWIFTFLAGS is a list of flags
"$swift" test ${SWIFTFLAGS:-} 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
    echo
    echo "== make test failed (exit $rc); the failures again, from $log =="
    # A recorded issue is one line naming the test and the expectation,
    # often followed by indented lines of detail; keep a few of those.
    awk '/✘/ { print; n = 12; next }
         n > 0 && /^(◇|✔|􀟈|􁁛|Test Suite|Test Case)/ { n = 0 }
         n > 0 { print; n-- }
         /error: / && !/✘/ { print }' "$log" | tail -n 200
    echo "== in short =="
    grep -E "✘ .*(recorded an issue|failed)|error: " "$log" | grep -v "^✘ Suite" | cut -c1-400 | tail -n 12
fi
exit "$rc"
