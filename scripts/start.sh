#!/usr/bin/env bash
# Sets everything up, builds the site and serves the playground on localhost.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec node scripts/serve.mjs dist "${PORT:-8080}"
