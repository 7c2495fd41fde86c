#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input with libFuzzer (clang, ASan + UBSan; preset native-fuzz):
#   fuzz_weights    hostile weight files: the safetensors reader and every model loader
#   fuzz_json       the JSON reader of headers, metadata and requests (depth limit, duplicate keys)
#   fuzz_tokenizer  a hostile tokenizer spec, then a hostile prompt through it
#   fuzz_request    a hostile request through the reader of every request type, and its JSON read back
# Usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET (default 600)] [TARGET...]
# Each target first replays its committed seed corpus (tests/fuzz/corpus/NAME, see make_corpus.py), then
# mutates for SECONDS; what it discovers goes to build/native-fuzz/scratch/NAME (the committed corpus never
# grows by itself). A crash, a sanitizer finding, a leak, a run over 10 s or over 2 GiB fails the target and
# leaves its reproducer in build/native-fuzz/findings/NAME/ (replay: build/native-fuzz/NAME FILE).
# Writes build/native-fuzz/reports/fuzz.xml (one test case per target, read by scripts/totals.mjs).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
SECONDS_PER_TARGET="${1:-600}"; shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(fuzz_weights fuzz_json fuzz_tokenizer fuzz_request)
OUT=build/native-fuzz

build_preset native-fuzz "${TARGETS[@]}" || exit 1
mkdir -p "$OUT/reports"
cases="" failures=0
for target in "${TARGETS[@]}"; do
  name="${target#fuzz_}"
  mkdir -p "$OUT/scratch/$name" "$OUT/findings/$name"
  log="$OUT/$target.log"
  start=$(date +%s)
  # -max_len 262144: no cap that hides deep nesting or large headers; -timeout 10: a hang is a finding.
  "$OUT/$target" -max_total_time="$SECONDS_PER_TARGET" -max_len=262144 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$OUT/findings/$name/" \
    "$OUT/scratch/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  elapsed=$(( $(date +%s) - start ))
  echo "   $target: ${runs:-0} inputs in ${elapsed} s, exit $rc"
  if [ "$rc" -eq 0 ]; then
    cases+="  <testcase classname=\"fuzz\" name=\"$target (${runs:-0} inputs, ${elapsed} s)\"/>"$'\n'
  else
    failures=$((failures + 1))
    tail -30 "$log"
    cases+="  <testcase classname=\"fuzz\" name=\"$target\"><failure message=\"exit $rc: see $log and $OUT/findings/$name/\"/></testcase>"$'\n'
  fi
done
printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="fuzz" tests="%d" failures="%d">\n%s</testsuite>\n' \
  "${#TARGETS[@]}" "$failures" "$cases" >"$OUT/reports/fuzz.xml"
[ "$failures" -eq 0 ]
