#!/usr/bin/env bash
# Record llama-quantize's per-tensor type choices (and the resulting files' dumps) for the two
# real GGUF models, for the whole-model quantization plan tests of ggufpack-quant.
#
# llama-quantize is built from the llama-cpp-python 0.3.36 sdist (target `llama-quantize` in
# $GGUFPACK_CACHE/ref/build-tools-0.3.36, configured as scripts/golden/gen_gguf_split.sh does).
# The inputs are already quantized (SmolLM2 Q4_1, Gemma 3 Q4_K_M), so --allow-requantize is
# passed; the type plan does not depend on the input's types.
#
# Output: quant/tests/golden/model_plan/<model>.<FTYPE>.json (dump_gguf.py format: every KV and
# every tensor's type, dims and sha256). Q2_K_S needs an imatrix and is not recorded here.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cache="${GGUFPACK_CACHE:-$HOME/.cache/ggufpack}"
bin="$cache/ref/build-tools-0.3.36/bin/llama-quantize"
[ -x "$bin" ] || { echo "gen_types: build llama-quantize first ($bin)" >&2; exit 1; }
mapfile -t env < <("$repo/scripts/golden/convert/ensure_venv.sh")
py="${env[0]}"; src="${env[1]}"
out="$repo/quant/tests/golden/model_plan"
mkdir -p "$out"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
ftypes="${FTYPES:-Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K TQ1_0 TQ2_0}"
for model in smollm2 gemma3; do
  in="$(python3 "$repo/scripts/fetch_models.py" "$model")"
  for ft in $ftypes; do
    echo "gen_types: $model $ft" >&2
    "$bin" --allow-requantize "$in" "$work/out.gguf" "$ft" 2 > "$work/log" 2>&1 || { tail -20 "$work/log" >&2; exit 1; }
    (cd / && PYTHONPATH="$src/gguf-py" "$py" "$repo/scripts/golden/convert/dump_gguf.py" "$work/out.gguf") > "$out/$model.$ft.json"
    rm -f "$work/out.gguf"
  done
done
echo "gen_types: $(ls "$out" | wc -l) files" >&2
