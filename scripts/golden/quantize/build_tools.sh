#!/usr/bin/env bash
# Build llama.cpp's `llama-quantize`, `llama-imatrix` and `llama-gguf-split` from the llama-cpp-python 0.3.36 sdist
# (PyPI, by package name) for the whole-model quantization goldens and the timing comparison.
#
# Usage: scripts/golden/quantize/build_tools.sh      prints the bin directory on stdout
#
# Cache layout (shared with scripts/golden/gen_gguf_split.sh):
#   $GGUFPACK_CACHE/ref/llama_cpp_python-0.3.36/   extracted sdist
#   $GGUFPACK_CACHE/ref/build-tools-0.3.36/        cmake build dir (Release, static, GGML_NATIVE=OFF,
#                                                   no OpenMP, so the tools use plain threads like
#                                                   a default CPU build; tests/examples/server off)
# The first build takes several minutes on 2 cores. Nothing from llama.cpp is copied into this repo.
set -euo pipefail
LCP_VERSION=0.3.36
cache="${GGUFPACK_CACHE:-$HOME/.cache/ggufpack}"
ref="$cache/ref"
src="$ref/llama_cpp_python-$LCP_VERSION"
llama="$src/vendor/llama.cpp"
build="$ref/build-tools-$LCP_VERSION"
jobs="${JOBS:-2}"
log() { echo "build_tools: $*" >&2; }
mkdir -p "$ref"
tarball="$ref/llama_cpp_python-$LCP_VERSION.tar.gz"
if [ ! -f "$llama/tools/quantize/quantize.cpp" ]; then
  if [ ! -s "$tarball" ]; then
    log "downloading llama-cpp-python==$LCP_VERSION sdist"
    python3 -m pip download --no-deps --no-binary :all: -d "$ref" "llama-cpp-python==$LCP_VERSION" >&2
  fi
  tar -xzf "$tarball" -C "$ref"
fi
command -v cmake >/dev/null || { apt-get update -qq && apt-get install -y -qq cmake >/dev/null; }
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$llama" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF \
    -DLLAMA_LLGUIDANCE=OFF -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF -DGGML_CCACHE=OFF >&2
fi
log "building llama-quantize llama-imatrix llama-gguf-split (-j$jobs)"
cmake --build "$build" --target llama-quantize llama-imatrix llama-gguf-split -j"$jobs" >&2
echo "$build/bin"
