#!/usr/bin/env bash
# Time llama.cpp's llama-quantize and ggufpack's whole-model quantizer (`--example quantize`)
# on the same F16 inputs, same file types, same thread count, alternating runs on a warm page
# cache; report the median wall time, peak RSS (/usr/bin/time -v) and whether both outputs have
# the same sha256.
#
# Inputs: the two real test models (fetched by PyPI package name) dequantized to F16 by our own
# quantizer (byte-identical to llama-quantize's F16 output, see quant/tests/model_quantize.rs).
#
# Usage: scripts/bench-reference/quantize.sh [ROUNDS] [TYPE...]   (default: 3 Q4_K_M)
#        THREADS=2 (default) sets both tools' thread count.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${GGUFPACK_CACHE:-$HOME/.cache/ggufpack}"
rounds="${1:-3}"; shift || true
types=("$@"); [ ${#types[@]} -gt 0 ] || types=(Q4_K_M)
threads="${THREADS:-2}"
bin="$("$repo/scripts/golden/quantize/build_tools.sh")"
(cd "$repo" && cargo build -q --release --example quantize) >&2
ours="$repo/target/release/examples/quantize"
inputs="$cache/bench/quantize"
mkdir -p "$inputs"
for m in smollm2 gemma3; do
  [ -s "$inputs/$m-f16.gguf" ] || "$ours" --quiet --allow-requantize \
    "$(python3 "$repo/scripts/fetch_models.py" "$m")" "$inputs/$m-f16.gguf" F16 "$threads" >/dev/null
done
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
measure() {  # outfile cmd... -> "seconds rss_mib"
  local log="$out/time.log"
  sync; sleep 1
  /usr/bin/time -v "${@:2}" > /dev/null 2> "$log" || { cat "$log" >&2; exit 1; }
  local wall rss
  wall="$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')"
  rss="$(grep 'Maximum resident set size' "$log" | awk '{print int($NF/1024)}')"
  echo "$wall $rss"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| model (F16 in) | type | llama-quantize s | RSS MiB | ggufpack s | RSS MiB | speed-up | same sha256 |"
echo "|---|---|---:|---:|---:|---:|---:|---|"
for m in smollm2 gemma3; do
  cat "$inputs/$m-f16.gguf" > /dev/null
  for t in "${types[@]}"; do
    rt=(); ot=(); rr=0; orr=0
    for _ in $(seq "$rounds"); do
      echo "quantize.sh: $m $t llama-quantize" >&2
      read -r s r < <(measure x "$bin/llama-quantize" "$inputs/$m-f16.gguf" "$out/ref.gguf" "$t" "$threads")
      rt+=("$s"); rr=$r
      echo "quantize.sh: $m $t ggufpack" >&2
      read -r s r < <(measure x "$ours" --quiet "$inputs/$m-f16.gguf" "$out/ours.gguf" "$t" "$threads")
      ot+=("$s"); orr=$r
    done
    a="$(sha256sum "$out/ref.gguf" | cut -c1-64)"; b="$(sha256sum "$out/ours.gguf" | cut -c1-64)"
    same=no; [ "$a" = "$b" ] && same=yes
    r="$(median "${rt[@]}")"; o="$(median "${ot[@]}")"
    echo "| $m | $t | $r | $rr | $o | $orr | $(awk -v r="$r" -v o="$o" 'BEGIN { printf "%.2f×", r / o }') | $same |"
  done
done
