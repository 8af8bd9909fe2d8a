#!/usr/bin/env bash
# Disk-speed check for the GGUF writer: writes a SIZE_MIB model (default 2048) with
# GgufWriter::write_to_path (temp file + fsync + rename) and rewrites its metadata with
# rewrite_metadata (kernel copy of the tensor data), then times `cp` + `sync` of the same file.
# Each is run ROUNDS times (default 3), alternating, with `sync` before every run so one run's
# writeback does not land in the next; medians are printed.
# Usage: scripts/bench-write.sh [SIZE_MIB] [ROUNDS] [DIR]   (DIR default: target/bench-write)
set -euo pipefail
size="${1:-2048}"
rounds="${2:-3}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${3:-$root/target/bench-write}"
mkdir -p "$dir"
(cd "$root" && cargo build --release --example write_timing >&2)
f="$dir/model.gguf"
w=(); r=(); c=()
for _ in $(seq "$rounds"); do
  sync; sleep 2
  read -r w_s _ r_s _ < <("$root/target/release/examples/write_timing" "$f" "$size")
  w+=("$w_s"); r+=("$r_s")
  sync; sleep 2
  t0=$(date +%s.%N)
  cp "$f" "$dir/copy.gguf" && sync "$dir/copy.gguf"
  t1=$(date +%s.%N)
  c+=("$(python3 -c "print(f'{$t1-$t0:.3f}')")")
  rm -f "$dir/copy.gguf"
done
bytes=$(stat -c %s "$f")
rm -f "$f"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
row() { local s; s=$(median "$@"); python3 -c "print(f'| {$s:.3f} | {$bytes/1e9/$s:.3f} |')"; }
echo "| what ($bytes bytes, median of $rounds) | seconds | GB/s |"
echo "| --- | ---: | ---: |"
echo "| GgufWriter::write_to_path $(row "${w[@]}")"
echo "| rewrite_metadata of that file $(row "${r[@]}")"
echo "| cp + sync of that file $(row "${c[@]}")"
