# Shared by the scripts: environment for Emscripten 3.1.6 on Debian and the build helpers.
export NODE_PATH=/usr/share/nodejs   # emcc's JS tools need Debian's acorn (TOOLCHAIN.md)
JOBS="${JOBS:-2}"

# build_preset NAME [TARGET...]: configure (once) and build a CMake preset, quietly.
build_preset() {
  local preset="$1"; shift
  mkdir -p build
  if [ ! -f "build/$preset/build.ninja" ]; then
    cmake --preset "$preset" >"build/$preset.configure.log" 2>&1 || { cat "build/$preset.configure.log"; return 1; }
  fi
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build --preset "$preset" -j "$JOBS" "${targets[@]}" >"build/$preset.build.log" 2>&1 \
    || { tail -50 "build/$preset.build.log"; return 1; }
}
