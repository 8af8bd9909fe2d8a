#!/usr/bin/env bash
# Build llama.cpp's ggml-base library (the C reference GGUF parser) and our
# own gguf_parse_bench.c against it. Prints the path of the built binary on
# stdout; everything else goes to stderr.
#
# Source: the llama-cpp-python==0.3.36 sdist from PyPI (it vendors
# llama.cpp at vendor/llama.cpp), cached in $GGUFPACK_CACHE/ref/.
# Only the `ggml-base` target of vendor/llama.cpp/ggml is built (Release,
# shared, GGML_NATIVE=OFF; OpenMP, curl and all llama.cpp tools/tests/
# examples off since the GGUF code does not use them). Nothing from llama.cpp is copied into this repo.
set -euo pipefail

LCP_VERSION=0.3.36
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${GGUFPACK_CACHE:-$HOME/.cache/ggufpack}"
ref="$cache/ref"
src="$ref/llama_cpp_python-$LCP_VERSION"
ggml="$src/vendor/llama.cpp/ggml"
build="$ref/build-ggml-$LCP_VERSION"
bin="$ref/bin/gguf_parse_bench"
jobs="${JOBS:-2}"

log() { echo "build_ggml: $*" >&2; }
mkdir -p "$ref" "$ref/bin"

tarball="$ref/llama_cpp_python-$LCP_VERSION.tar.gz"
if [ ! -s "$tarball" ]; then
  log "downloading llama-cpp-python==$LCP_VERSION sdist"
  python3 -m pip download --no-deps --no-binary :all: -d "$ref" "llama-cpp-python==$LCP_VERSION" >&2
  [ -s "$tarball" ] || { log "sdist not found at $tarball after pip download"; exit 1; }
fi

if [ ! -f "$ggml/src/gguf.cpp" ]; then
  log "extracting $tarball"
  tmp="$(mktemp -d "$ref/extract.XXXXXX")"
  tar -xzf "$tarball" -C "$tmp"
  rm -rf "$src"
  mv "$tmp/llama_cpp_python-$LCP_VERSION" "$src"
  rmdir "$tmp"
fi

# The sdist's ggml/ is not configurable on its own (ggml.pc.in is not
# shipped), so configure the llama.cpp tree with everything optional off and
# build only the ggml-base target.
log "configuring $src/vendor/llama.cpp"
cmake -S "$src/vendor/llama.cpp" -B "$build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=ON \
  -DLLAMA_CURL=OFF \
  -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_TOOLS=OFF \
  -DLLAMA_BUILD_SERVER=OFF \
  -DLLAMA_BUILD_COMMON=OFF \
  -DLLAMA_BUILD_APP=OFF \
  -DGGML_NATIVE=OFF \
  -DGGML_OPENMP=OFF \
  -DGGML_CCACHE=OFF >&2
log "building target ggml-base"
cmake --build "$build" --target ggml-base -j"$jobs" >&2

lib="$(find "$build" -name 'libggml-base.so' | head -n1)"
[ -n "$lib" ] || { log "libggml-base.so not found under $build"; exit 1; }
libdir="$(dirname "$lib")"

log "compiling gguf_parse_bench"
cc -O2 -std=c11 -Wall -Wextra \
  -I "$ggml/include" \
  -o "$bin.tmp" "$here/gguf_parse_bench.c" \
  -L "$libdir" -lggml-base -Wl,-rpath,"$libdir"
mv "$bin.tmp" "$bin"
echo "$bin"
