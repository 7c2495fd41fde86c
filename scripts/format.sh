#!/usr/bin/env bash
# The formatting check of npm test, and its fix:
#   bash scripts/format.sh          # check: exit 1 and list what differs
#   bash scripts/format.sh --fix    # rewrite the files in place
# C++: clang-format 14 (.clang-format). JS: prettier (.prettierrc.json, the devDependency in package.json).
# Python: black (pyproject.toml) for the layout and pyflakes for unused names and undefined ones.
set -uo pipefail
cd "$(dirname "$0")/.."
fix=0
[ "${1:-}" = --fix ] && fix=1

# files DIR... -- PATTERN...: the files under DIRs matching the name patterns, NUL-separated,
# outside node_modules and the data cache.
files() {
  local dirs=() names=()
  while [ "$1" != -- ]; do dirs+=("$1"); shift; done
  shift
  for n in "$@"; do names+=(-o -name "$n"); done
  find "${dirs[@]}" \( -name node_modules -o -name cache -o -name __pycache__ \) -prune \
    -o -type f \( "${names[@]:1}" \) -print0
}

CPP=(core cli bench tests/cpp tests/fuzz wasm -- '*.cpp' '*.hpp' '*.inc')
JS=(web wasm scripts tests bench models -- '*.js' '*.mjs')
PY=(models tests bench scripts -- '*.py')
PRETTIER=node_modules/.bin/prettier

status=0
# check NAME LIST COMMAND...: runs COMMAND over the files of LIST (one of the arrays above, by name) with xargs;
# a failure fails the check.
check() {
  local name="$1" && local -n spec="$2" && shift 2
  if ! files "${spec[@]}" | xargs -0 "$@"; then echo "format: $name: the files above differ"; status=1; fi
}

if ((fix)); then
  files "${CPP[@]}" | xargs -0 clang-format -i
  files "${JS[@]}" | xargs -0 "$PRETTIER" --log-level warn --write
  files "${PY[@]}" | xargs -0 black -q
fi
check clang-format CPP clang-format --dry-run -Werror
check prettier JS "$PRETTIER" --log-level warn --check
check black PY black --check --quiet
check pyflakes PY pyflakes3
exit $status
