#!/usr/bin/env bash
# Regenerates quant/tests/golden/real-tensors.json with the pinned gguf-py.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
PY="$("$root/scripts/ensure_gguf_py.sh")"
mapfile -t models < <(python3 "$root/scripts/fetch_models.py" all)
cd /  # keep the repo's gguf/ folder from shadowing the gguf package
"$PY" "$root/scripts/golden/quant/gen_real_tensors.py" "$root/quant/tests/golden/real-tensors.json" "${models[@]}"
