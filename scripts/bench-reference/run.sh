#!/usr/bin/env bash
# Time the reference GGUF header parsers on the same files:
#   * llama.cpp/ggml  gguf_init_from_file(no_alloc=true) + gguf_free
#     (gguf_parse_bench.c built by build_ggml.sh against libggml-base)
#   * gguf-py         gguf.GGUFReader(path)   (gguf==0.19.0)
# on SmolLM2-135M Q4_1, Gemma-3-270M Q4_K_M (via scripts/fetch_models.py)
# and the synthetic file from make_synthetic.py.
#
# Usage: scripts/bench-reference/run.sh [ITERATIONS]   (default 20)
#
# Prints a markdown table of median wall times (ms) on stdout; progress
# and the min times go to stderr. Files are read through the page cache
# (each bench does an untimed warm-up parse first).
set -euo pipefail

iters="${1:-20}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
scripts="$(cd "$here/.." && pwd)"
cache="${GGUFPACK_CACHE:-$HOME/.cache/ggufpack}"
mkdir -p "$cache"

PY="$("$scripts/ensure_gguf_py.sh")"
bench_c="$("$here/build_ggml.sh")"
mapfile -t models < <(python3 "$scripts/fetch_models.py" all)
[ "${#models[@]}" -eq 2 ] || { echo "run.sh: fetch_models.py failed" >&2; exit 1; }

synthetic="$cache/synthetic-llama-150k.gguf"
if [ ! -s "$synthetic" ]; then
  "$PY" "$here/make_synthetic.py" "$synthetic"
fi

# ggufpack's own timing program, built once (release).
(cd "$scripts/.." && cargo build --release --example parse_timing >&2)
bench_rs="$scripts/../target/release/examples/parse_timing"

files=("${models[@]}" "$synthetic")
rows=()
for f in "${files[@]}"; do
  echo "run.sh: $(basename "$f"): llama.cpp x$iters" >&2
  read -r c_min c_med < <("$bench_c" "$f" "$iters")
  echo "run.sh: $(basename "$f"): ggufpack x$iters" >&2
  read -r r_min r_med < <("$bench_rs" "$f" "$iters")
  echo "run.sh: $(basename "$f"): gguf-py x$iters" >&2
  read -r p_min p_med < <("$PY" "$here/bench_gguf_py.py" "$f" "$iters")
  echo "run.sh: $(basename "$f"): llama.cpp min/median $c_min/$c_med ms, gguf-py min/median $p_min/$p_med ms" >&2
  ratio_c=$(python3 -c "print(f'{$c_med/$r_med:.1f}')")
  ratio_p=$(python3 -c "print(f'{$p_med/$r_med:.0f}')")
  rows+=("| $(basename "$f") | $r_med | $c_med | $p_med | ${ratio_c}x | ${ratio_p}x |")
done

echo "| file | ggufpack GgufFile::open median ms | llama.cpp gguf_init_from_file median ms | gguf-py GGUFReader median ms | ggufpack vs llama.cpp | ggufpack vs gguf-py |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
