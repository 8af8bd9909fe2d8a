#!/usr/bin/env bash
# Build ggml's `ggml-base` and `ggml-cpu` shared libraries three times, for
# the quant golden-vector generator (gen.py):
#
#   native  - ggml defaults (GGML_NATIVE=ON => -march=native on the build host)
#   avx2    - GGML_NATIVE=OFF with ggml's default x86 instruction set
#             (SSE4.2 AVX AVX2 BMI2 FMA F16C): a host-independent AVX2 build
#   generic - CMAKE_SYSTEM_PROCESSOR=generic (a "cross" build for an unknown
#             arch with the host compiler): ggml-cpu then compiles no
#             arch/x86/* file, no -m flags, and defines GGML_CPU_GENERIC, so
#             the CPU type traits point at the plain-C *_generic kernels of
#             ggml/src/ggml-cpu/quants.c.
#
# Source: the llama-cpp-python==0.3.36 sdist (vendors llama.cpp), fetched
# and extracted exactly as scripts/bench-reference/build_ggml.sh does, into
# $GGUFPACK_CACHE/ref/. Build dirs: $GGUFPACK_CACHE/ref/build-quant/<variant>.
# Nothing from llama.cpp is copied into this repository.
#
# Prints "<variant> <libdir>" lines on stdout; logs go to stderr.
set -euo pipefail

LCP_VERSION=0.3.36
cache="${GGUFPACK_CACHE:-$HOME/.cache/ggufpack}"
ref="$cache/ref"
src="$ref/llama_cpp_python-$LCP_VERSION"
ggml="$src/vendor/llama.cpp/ggml"
buildroot="$ref/build-quant"
jobs="${JOBS:-2}"

log() { echo "golden/quant/build: $*" >&2; }
mkdir -p "$ref" "$buildroot"

tarball="$ref/llama_cpp_python-$LCP_VERSION.tar.gz"
if [ ! -s "$tarball" ]; then
  log "downloading llama-cpp-python==$LCP_VERSION sdist"
  python3 -m pip download --no-deps --no-binary :all: -d "$ref" "llama-cpp-python==$LCP_VERSION" >&2
  [ -s "$tarball" ] || { log "sdist not found at $tarball after pip download"; exit 1; }
fi
if [ ! -f "$ggml/src/ggml-quants.c" ]; then
  log "extracting $tarball"
  tmp="$(mktemp -d "$ref/extract.XXXXXX")"
  tar -xzf "$tarball" -C "$tmp"
  rm -rf "$src"
  mv "$tmp/llama_cpp_python-$LCP_VERSION" "$src"
  rmdir "$tmp"
fi

common=(
  -DCMAKE_BUILD_TYPE=Release
  -DBUILD_SHARED_LIBS=ON
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
  -DLLAMA_CURL=OFF
  -DLLAMA_OPENSSL=OFF
  -DLLAMA_BUILD_TESTS=OFF
  -DLLAMA_BUILD_EXAMPLES=OFF
  -DLLAMA_BUILD_TOOLS=OFF
  -DLLAMA_BUILD_SERVER=OFF
  -DLLAMA_BUILD_COMMON=OFF
  -DLLAMA_BUILD_APP=OFF
  -DGGML_CCACHE=OFF
)

build_variant() {
  local name="$1"; shift
  local dir="$buildroot/$name"
  log "configuring $name ($*)"
  # SOURCE_DATE_EPOCH would silently turn GGML_NATIVE's default off.
  env -u SOURCE_DATE_EPOCH cmake -S "$src/vendor/llama.cpp" -B "$dir" "${common[@]}" "$@" >&2
  log "building $name: ggml-base ggml-cpu"
  cmake --build "$dir" --target ggml-base ggml-cpu -j"$jobs" >&2
  local lib
  lib="$(find "$dir" -name 'libggml-cpu.so' | head -n1)"
  [ -n "$lib" ] || { log "libggml-cpu.so not found under $dir"; exit 1; }
  echo "$name $(dirname "$lib")"
}

# Our own stack-poisoning call shim (stackpoison.c) used by gen.py to detect
# ggml outputs that depend on uninitialised stack memory.
cc -O1 -fPIC -shared -o "$buildroot/libstackpoison.so" "$(dirname "${BASH_SOURCE[0]}")/stackpoison.c"

variants="${VARIANTS:-native avx2 generic}"
for v in $variants; do
  case "$v" in
    native)  build_variant native ;;
    avx2)    build_variant avx2 -DGGML_NATIVE=OFF ;;
    generic) build_variant generic -DGGML_NATIVE=OFF \
               -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=generic ;;
    *) log "unknown variant $v"; exit 1 ;;
  esac
done
