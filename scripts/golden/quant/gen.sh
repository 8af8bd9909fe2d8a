#!/usr/bin/env bash
# Regenerate quant/tests/golden/{inputs.bin,quantized.bin,manifest.json}
# from ggml (llama-cpp-python 0.3.36's vendored llama.cpp).
#   1. scripts/golden/quant/build.sh builds ggml-base + ggml-cpu three ways
#      (native, avx2, generic) under $GGUFPACK_CACHE/ref/build-quant/.
#   2. scripts/golden/quant/gen.py drives them through ctypes.
# Needs: cmake, a C/C++ compiler, python3 with numpy, binutils (nm, objdump).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cache="${GGUFPACK_CACHE:-$HOME/.cache/ggufpack}"
start=$(date +%s)
"$here/build.sh" >/dev/null
python3 -c 'import numpy' 2>/dev/null || python3 -m pip install numpy >&2
python3 "$here/gen.py" --buildroot "$cache/ref/build-quant" --out "$repo/quant/tests/golden"
echo "golden/quant/gen: done in $(( $(date +%s) - start ))s" >&2
