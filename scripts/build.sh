#!/usr/bin/env bash
# Builds the release wasm module and writes the self-contained static site to dist/
# (HTML, JS, .wasm, models and their cards, data/t2s.json and data/curves.json from scripts/site_data.mjs;
# relative URLs only, so it works under any sub-path such as /atnat/).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${ATNAT_SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh
source scripts/common.sh
echo "build: wasm module (release)"
build_preset wasm atnat_web

rm -rf dist && mkdir -p dist/engine dist/models
cp -r web/. dist/
cp build/wasm/atnat.mjs build/wasm/atnat.wasm dist/engine/
cp wasm/*.js dist/engine/
# Weight files get content-hashed names (model-int8.<sha256: 12 hex>.safetensors): scripts/serve.mjs lets browsers
# keep them for a year, the engine's worker keeps them in Cache Storage, and dist/models/manifest.json maps each
# file the page asks for (web/panels/ui.js weightsUrl) to its hashed name and size.
manifest="{"
for card in models/*/model.safetensors; do
  [ -e "$card" ] || continue
  name="$(basename "$(dirname "$card")")"
  mkdir -p "dist/models/$name"
  # the f32 weights and, where exported, the int8 ones (web/panels/ui.js weightsUrl picks which the page loads)
  for weights in "models/$name"/model*.safetensors; do
    stem="$(basename "$weights" .safetensors)"
    hashed="$stem.$(sha256sum "$weights" | cut -c1-12).safetensors"
    cp "$weights" "dist/models/$name/$hashed"
    manifest+="$([ "$manifest" = "{" ] || echo ,)\"$weights\": {\"url\": \"models/$name/$hashed\", \"bytes\": $(stat -c %s "$weights")}"
  done
  # the model card (and poet-nat's comparison table), linked from the page's "Learn" sections
  for doc in README.md compare.md; do
    if [ -e "models/$name/$doc" ]; then cp "models/$name/$doc" "dist/models/$name/"; fi
  done
done
echo "$manifest}" > dist/models/manifest.json
# generated data: the traditional -> simplified table (from OpenCC) and the chart data (from the committed tables)
node scripts/site_data.mjs dist/data
# the service worker's list of the page's own files (everything but the weights and the model cards), named by
# a hash of their contents so that a new build replaces the stored copies (web/sw.js)
shell="$(cd dist && find . -type f ! -name '*.safetensors' ! -name '*.md' ! -name sw.js ! -name precache.js | sort)"
version="$(cd dist && echo "$shell" | xargs sha256sum | sha256sum | cut -c1-12)"
files="$(echo "$shell" | sed 's|^\./\(.*\)|"\1"|; s|"index.html"|"./"|' | paste -sd, -)"
echo "self.PRECACHE = { version: '$version', files: [$files] };" > dist/precache.js
echo "build: dist/ ready ($(du -sh dist | cut -f1))"
