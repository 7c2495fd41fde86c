#!/usr/bin/env bash
# Builds the release wasm module and writes the self-contained static site to dist/
# (HTML, JS, .wasm, models and their cards, data/t2s.json and data/curves.json from scripts/site_data.mjs;
# relative URLs only, so it works under any sub-path such as /atnat/).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${ATNAT_SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh
source scripts/common.sh
mkdir -p build
echo "build: wasm module (release)"
build_preset wasm atnat_web

rm -rf dist && mkdir -p dist/engine dist/models
cp -r web/. dist/
cp build/wasm/atnat.mjs build/wasm/atnat.wasm dist/engine/
cp wasm/*.js dist/engine/
for card in models/*/model.safetensors; do
  [ -e "$card" ] || continue
  name="$(basename "$(dirname "$card")")"
  # the f32 weights and, where exported, the int8 ones (web/panels/ui.js weightsUrl picks which the page loads)
  mkdir -p "dist/models/$name" && cp "models/$name"/model*.safetensors "dist/models/$name/"
  # the model card (and poet-nat's comparison table), linked from the page's "Learn" sections
  for doc in README.md compare.md; do
    if [ -e "models/$name/$doc" ]; then cp "models/$name/$doc" "dist/models/$name/"; fi
  done
done
# generated data: the traditional -> simplified table (from OpenCC) and the chart data (from the committed tables)
node scripts/site_data.mjs dist/data
echo "build: dist/ ready ($(du -sh dist | cut -f1))"
