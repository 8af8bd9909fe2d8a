#!/usr/bin/env bash
# Disk-speed check for the GGUF writer: writes a SIZE_MIB model (default 2048) with
# GgufWriter::write_to_path (temp file + fsync + rename), rewrites its metadata with
# rewrite_metadata (kernel copy of the tensor data), and times `cp` + sync of the same file in
# the same run. Usage: scripts/bench-write.sh [SIZE_MIB] [DIR]   (DIR default: target/bench-write)
set -euo pipefail
size="${1:-2048}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${2:-$root/target/bench-write}"
mkdir -p "$dir"
(cd "$root" && cargo build --release --example write_timing >&2)
f="$dir/model.gguf"
read -r w_s w_gbps r_s r_gbps < <("$root/target/release/examples/write_timing" "$f" "$size")
bytes=$(stat -c %s "$f")
sync
t0=$(date +%s.%N)
cp "$f" "$dir/copy.gguf" && sync "$dir/copy.gguf"
t1=$(date +%s.%N)
cp_s=$(python3 -c "print(f'{$t1-$t0:.3f}')")
cp_gbps=$(python3 -c "print(f'{$bytes/1e9/($t1-$t0):.3f}')")
rm -f "$dir/copy.gguf" "$f"
echo "| what | seconds | GB/s |"
echo "| --- | ---: | ---: |"
echo "| GgufWriter::write_to_path, $bytes bytes | $w_s | $w_gbps |"
echo "| rewrite_metadata of that file | $r_s | $r_gbps |"
echo "| cp + sync of that file | $cp_s | $cp_gbps |"
