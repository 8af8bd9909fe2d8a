#!/usr/bin/env bash
# Times ggufpack-quant against ggml in the same criterion run: builds ggml's ggml-base and
# ggml-cpu from the PyPI llama-cpp-python 0.3.36 sdist (scripts/golden/quant/build.sh; the
# host-independent AVX2 build is used, so ggml's vec_dot runs its AVX2 kernels), then runs
# `cargo bench -p ggufpack-quant` with GGML_LIB_DIR pointing at it. Extra arguments go to
# criterion (e.g. a filter: `scripts/bench-reference/quant.sh Q4_K`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
libdir="$("$root/scripts/golden/quant/build.sh" | awk '$1 == "avx2" { print $2 }')"
[ -n "$libdir" ] || { echo "quant.sh: ggml build failed" >&2; exit 1; }
cd "$root"
GGML_LIB_DIR="$libdir" LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  cargo bench -p ggufpack-quant --bench quant -- "$@"
