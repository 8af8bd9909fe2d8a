#!/usr/bin/env bash
# Time llama.cpp's convert_hf_to_gguf.py and ggufpack-convert on the same ~1 GB llama-shaped
# BF16 checkpoint (make_convert_checkpoint.py), for each output type given (default: f16 q8_0
# bf16), one after the other on a warm page cache. Reports wall time and peak RSS
# (/usr/bin/time -v) and checks that both outputs have the same sha256.
#
# Usage: scripts/bench-reference/convert.sh [OUTTYPE...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${GGUFPACK_CACHE:-$HOME/.cache/ggufpack}"
types=("$@"); [ ${#types[@]} -gt 0 ] || types=(f16 q8_0 bf16)
mapfile -t env < <("$repo/scripts/golden/convert/ensure_venv.sh")
py="${env[0]}"; src="${env[1]}"
model="$cache/bench/convert-llama-16l"
if [ ! -f "$model/config.json" ]; then
  (cd / && "$py" "$here/make_convert_checkpoint.py" "$model" \
     --tokenizer-from "$repo/convert/tests/golden/checkpoints/llama-spm") >&2
fi
(cd "$repo" && cargo build -q --release --example convert) >&2
ours="$repo/target/release/examples/convert"
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
cat "$model"/*.safetensors > /dev/null
measure() {  # name outfile cmd... -> "seconds rss_mib"
  local log="$out/time.log"
  /usr/bin/time -v "${@:2}" > "$out/stdout.log" 2> "$log" || { cat "$log" >&2; exit 1; }
  local wall rss
  wall="$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')"
  rss="$(grep 'Maximum resident set size' "$log" | awk '{print int($NF/1024)}')"
  echo "$wall $rss"
}
echo "| outtype | convert_hf_to_gguf.py s | peak RSS MiB | ggufpack s | peak RSS MiB | speed-up | same sha256 |"
echo "|---|---|---|---|---|---|---|"
for t in "${types[@]}"; do
  echo "convert.sh: $t: reference" >&2
  read -r rs rr < <(cd / && measure ref "$py" "$src/convert_hf_to_gguf.py" --outtype "$t" --outfile "$out/ref.gguf" "$model")
  echo "convert.sh: $t: ggufpack" >&2
  read -r os orss < <(measure ours "$ours" "$model" --outtype "$t" --outfile "$out/ours.gguf")
  a="$(sha256sum "$out/ref.gguf" | cut -c1-64)"; b="$(sha256sum "$out/ours.gguf" | cut -c1-64)"
  same=no; [ "$a" = "$b" ] && same=yes
  ratio="$(awk -v r="$rs" -v o="$os" 'BEGIN { printf "%.1fx", r / o }')"
  echo "| $t | $rs | $rr | $os | $orss | $ratio | $same |"
  rm -f "$out"/*.gguf
done
