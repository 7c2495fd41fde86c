#!/usr/bin/env bash
# Runs the whole test suite: the formatting check (scripts/format.sh: C++, JS, Python), native (release +
# ASan/UBSan) and wasm GoogleTest binaries via ctest, a 32-second libFuzzer smoke run from the seed corpus (scripts/fuzz.sh), the node
# tests of the JS API, the Python tests, and the browser tests against the built site.
# Ends with one line: "N passed, N failed" (totals over all suites). Exit code 0 only if all passed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
source scripts/common.sh
REPORTS=build/reports
rm -rf "$REPORTS" build/*/reports && mkdir -p "$REPORTS"
stage_failures=0

# stage NAME COMMAND...: runs one stage; a stage that fails without leaving a report counts as one failure.
stage() {
  local name="$1"; shift
  echo "== $name"
  local before after
  before=$(find build -name '*.xml' -path '*reports*' 2>/dev/null | wc -l)
  if ! "$@"; then
    after=$(find build -name '*.xml' -path '*reports*' 2>/dev/null | wc -l)
    if [ "$after" -le "$before" ]; then
      echo "   stage '$name' failed before reporting any test"
      stage_failures=$((stage_failures + 1))
    fi
  fi
}

ctest_preset() {
  local preset="$1"
  build_preset "$preset" || return 1
  ctest --preset "$preset" --timeout 900 -j "$JOBS"
}

stage "format: clang-format, prettier, black, pyflakes" bash scripts/format.sh
stage "native: build + ctest"       ctest_preset native-release
stage "native ASan+UBSan: build + ctest" ctest_preset native-sanitize
stage "fuzz: 32-second smoke (libFuzzer)" bash scripts/fuzz.sh 8
stage "wasm: build + ctest (node)"  ctest_preset wasm
stage "site: build dist/"           env ATNAT_SKIP_SETUP=1 bash scripts/build.sh
stage "python tests"                /usr/bin/python3 tests/python/run.py "$REPORTS/python.xml"
stage "node tests"                  node --test --test-reporter=spec --test-reporter-destination=stdout \
                                      --test-reporter=junit --test-reporter-destination="$REPORTS/node.xml" tests/node/
stage "browser tests"               node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
                                      --test-reporter=junit --test-reporter-destination="$REPORTS/browser.xml" tests/browser/

node scripts/totals.mjs build "$stage_failures"
