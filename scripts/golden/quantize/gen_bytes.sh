#!/usr/bin/env bash
# Record what llama-quantize writes (whole-file sha256, keys, per-tensor types and digests) for
# the byte-exactness tests of ggufpack's whole-model quantizer (quant/tests/model_quantize.rs).
#
# Inputs, all made by ggufpack's own code or committed here:
#   smollm2-f16.gguf, gemma3-f16.gguf, smollm2-f32.gguf  the two real models (fetched by PyPI
#       package name) dequantized by `cargo run --example quantize` (F16/F32 file types; the
#       `*.to-*` cases check those bytes against llama-quantize's own F16/F32 output)
#   moe-f16.gguf, moe.imatrix.gguf   a small random llama MoE and a per-expert importance matrix
#       (`cargo run -p ggufpack-quant --example make_test_models`); moe-bf16.gguf from it
#   split/smollm2-f16-0000N-of-00003.gguf   llama-gguf-split --split-max-tensors 100
#   {smollm2,gemma3}.imatrix.{gguf,dat}   llama-imatrix on calibration.txt (committed into
#       quant/tests/golden/model_quantize/ as inputs of the tests)
# Tools: scripts/golden/quantize/build_tools.sh (llama-cpp-python 0.3.36 sdist).
# Output: quant/tests/golden/model_quantize/<case>.json and the four imatrix files.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
bin="$("$here/build_tools.sh")"
py="$("$repo/scripts/ensure_gguf_py.sh")"
golden="$repo/quant/tests/golden/model_quantize"
mkdir -p "$golden"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
log() { echo "gen_bytes: $*" >&2; }

(cd "$repo" && cargo build -q --release --example quantize && \
  cargo run -q --release -p ggufpack-quant --example make_test_models -- "$work" >/dev/null)
q="$repo/target/release/examples/quantize"
smol="$(python3 "$repo/scripts/fetch_models.py" smollm2)"
gemma="$(python3 "$repo/scripts/fetch_models.py" gemma3)"
ln -s "$smol" "$work/$(basename "$smol")"
ln -s "$gemma" "$work/$(basename "$gemma")"
"$q" --quiet --allow-requantize "$smol" "$work/smollm2-f16.gguf" F16 2 >/dev/null
"$q" --quiet --allow-requantize "$gemma" "$work/gemma3-f16.gguf" F16 2 >/dev/null
"$q" --quiet --allow-requantize "$smol" "$work/smollm2-f32.gguf" F32 2 >/dev/null
"$q" --quiet "$work/moe-f16.gguf" "$work/moe-bf16.gguf" BF16 2 >/dev/null
mkdir -p "$work/split"
"$bin/llama-gguf-split" --split --split-max-tensors 100 "$work/smollm2-f16.gguf" "$work/split/smollm2-f16" >/dev/null

if [ "${REUSE_IMATRIX:-0}" = 1 ]; then
  cp "$golden"/*.imatrix.* "$work/"
else
  for m in smollm2 gemma3; do
    for fmt in gguf dat; do
      log "llama-imatrix $m ($fmt)"
      "$bin/llama-imatrix" -m "$work/$m-f16.gguf" -f "$here/calibration.txt" -c 128 -t 2 \
        --output-format "$fmt" -o "$work/$m.imatrix.$fmt" --no-ppl >"$work/imatrix.log" 2>&1 \
        || { tail -20 "$work/imatrix.log" >&2; exit 1; }
      cp "$work/$m.imatrix.$fmt" "$golden/"
    done
  done
fi

# SKIP_EXISTING=1 keeps the cases already recorded (with REUSE_IMATRIX=1, to extend the set)
[ "${SKIP_EXISTING:-0}" = 1 ] || rm -f "$golden"/*.json
n=0
# case NAME ARGS...: run llama-quantize ARGS in the work dir (out.gguf or out-*.gguf) and dump.
case_() {
  local name="$1"; shift
  if [ "${SKIP_EXISTING:-0}" = 1 ] && [ -s "$golden/$name.json" ]; then return; fi
  rm -f "$work"/out*.gguf
  (cd "$work" && "$bin/llama-quantize" "$@") >"$work/q.log" 2>&1 || { tail -20 "$work/q.log" >&2; exit 1; }
  local args; args="$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@")"
  (cd / && "$py" "$here/dump_compact.py" "$name" "$args" $(ls "$work"/out*.gguf)) > "$golden/$name.json"
  n=$((n + 1))
}

FTYPES="Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K TQ1_0 TQ2_0"
case_ smollm2.to-F16 --allow-requantize "$(basename "$smol")" out.gguf F16 2
case_ smollm2.to-F32 --allow-requantize "$(basename "$smol")" out.gguf F32 2
case_ gemma3.to-F16 --allow-requantize "$(basename "$gemma")" out.gguf F16 2
case_ moe.to-BF16 moe-f16.gguf out.gguf BF16 2
for m in smollm2 gemma3; do
  for ft in $FTYPES; do
    log "$m $ft"
    case_ "$m.f16.$ft" "$m-f16.gguf" out.gguf "$ft" 2
    case_ "$m.imatrix.$ft" --imatrix "$m.imatrix.gguf" "$m-f16.gguf" out.gguf "$ft" 2
  done
  for ft in Q4_K_M Q3_K_S Q2_K; do
    case_ "$m.dat.$ft" --imatrix "$m.imatrix.dat" "$m-f16.gguf" out.gguf "$ft" 2
  done
  case_ "$m.pure.Q4_K_M" --pure "$m-f16.gguf" out.gguf Q4_K_M 2
  case_ "$m.leave-output.Q4_K_M" --leave-output-tensor "$m-f16.gguf" out.gguf Q4_K_M 2
  case_ "$m.output-type.Q4_K_M" --output-tensor-type q8_0 "$m-f16.gguf" out.gguf Q4_K_M 2
  case_ "$m.token-embd-type.Q4_K_M" --token-embedding-type q4_0 "$m-f16.gguf" out.gguf Q4_K_M 2
done
case_ smollm2.f32-input.Q4_K_M smollm2-f32.gguf out.gguf Q4_K_M 2
case_ smollm2.f32-input.Q6_K smollm2-f32.gguf out.gguf Q6_K 2
case_ smollm2.tensor-type.Q4_K_M --tensor-type attn_v=q8_0 --tensor-type 'blk\.1[0-9]\.ffn_down=q5_k' smollm2-f16.gguf out.gguf Q4_K_M 2
case_ smollm2.override-kv.Q4_K_M --override-kv general.name=str:Renamed --override-kv llama.context_length=int:-4096 \
  --override-kv tokenizer.ggml.add_bos_token=bool:false --override-kv general.test_float=float:0.25 smollm2-f16.gguf out.gguf Q4_K_M 2
case_ smollm2.prune.Q4_K_M --prune-layers 3,7,29 smollm2-f16.gguf out.gguf Q4_K_M 2
case_ smollm2.prune-imatrix.Q4_K_M --prune-layers 0,15 --imatrix smollm2.imatrix.gguf smollm2-f16.gguf out.gguf Q4_K_M 2
case_ smollm2.include.Q4_K_M --imatrix smollm2.imatrix.gguf --include-weights ffn_down --include-weights attn_v smollm2-f16.gguf out.gguf Q4_K_M 2
case_ smollm2.exclude.Q3_K_M --imatrix smollm2.imatrix.dat --exclude-weights attn smollm2-f16.gguf out.gguf Q3_K_M 2
case_ smollm2.copy --allow-requantize "$(basename "$smol")" out.gguf COPY 2
case_ smollm2.split-input.Q4_K_M split/smollm2-f16-00001-of-00003.gguf out.gguf Q4_K_M 2
case_ smollm2.keep-split.Q4_K_M --keep-split split/smollm2-f16-00001-of-00003.gguf out.gguf Q4_K_M 2
for ft in Q4_0 Q8_0 Q2_K Q3_K_S Q4_K_M Q5_K_M Q6_K MXFP4_MOE TQ2_0; do
  case_ "moe.$ft" moe-f16.gguf out.gguf "$ft" 2
done
for ft in Q2_K Q3_K_M Q4_K_M Q5_K_S IQ4_XS; do
  case_ "moe.imatrix.$ft" --imatrix moe.imatrix.gguf moe-f16.gguf out.gguf "$ft" 2
done
case_ moe.bf16-input.Q4_K_M moe-bf16.gguf out.gguf Q4_K_M 2
case_ moe.leave-output.Q4_K_M --leave-output-tensor moe-f16.gguf out.gguf Q4_K_M 2
case_ moe.output-type.Q4_K_M --output-tensor-type q6_k moe-f16.gguf out.gguf Q4_K_M 2
case_ moe.token-embd-type.Q4_K_M --token-embedding-type q4_k moe-f16.gguf out.gguf Q4_K_M 2
case_ moe.pure.Q3_K_M --pure moe-f16.gguf out.gguf Q3_K_M 2
log "$n cases in $golden ($(du -sh "$golden" | cut -f1))"
