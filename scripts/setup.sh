#!/usr/bin/env bash
# Installs everything atnat needs on a fresh Debian machine (as root). Idempotent and quiet when done.
# Debian packages: toolchain, libraries, data sets, the training stack and a browser for tests.
# npm packages: from package.json (playwright-core, onnxruntime-web for the benchmarks, prettier).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config clang-format clang libclang-rt-14-dev
  emscripten binaryen wabt nodejs node-acorn
  libxtensor-dev xtl-dev libxsimd-dev nlohmann-json3-dev
  googletest libgtest-dev libbenchmark-dev
  python3-torch python3-numpy libopenblas0-pthread
  black pyflakes3   # scripts/format.sh
  chromium dataset-fashion-mnist opencc
  fonts-wqy-microhei   # a CJK font, so that screenshots (scripts/screenshots.mjs) show the poems
  pngquant             # makes those screenshots about 3x smaller
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm install"
  npm install --no-audit --no-fund --loglevel=error
fi
