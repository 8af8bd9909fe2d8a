#!/usr/bin/env bash
# OCI benchmarks on a SIZE_MIB file (default 2048, random bytes) under DIR (default
# target/bench-oci), each run ROUNDS times (default 3), medians printed; `sync` and a pause before
# every run (dropping caches is not available, so the file is warm in the page cache for all).
#  (a) `sha256sum` of the file vs `Layout::add_file` into a fresh layout: hard link + hash, and
#      copy + hash in one pass (fsynced);
#  (b) pushing a modelpack layout tag holding the file as one raw layer to a Debian
#      `docker-registry` on 127.0.0.1 (random port, fresh storage for every run, so every push goes
#      into a fresh repository) with the crate's client vs `skopeo copy oci:… docker://…`
#      (--dest-tls-verify=false) of the same layout.
# Usage: scripts/bench-oci.sh [SIZE_MIB] [ROUNDS] [DIR]
set -euo pipefail
size="${1:-2048}"
rounds="${2:-3}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${3:-$root/target/bench-oci}"
mkdir -p "$dir"
cd "$root"
cargo bench -p ggufpack-oci-artifact --bench oci_2gib --no-run >&2
bin=$(cargo bench -p ggufpack-oci-artifact --bench oci_2gib --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and m["target"]["name"]=="oci_2gib": print(m["executable"])' | tail -1)
f="$dir/model.bin"
if [ ! -f "$f" ] || [ "$(stat -c %s "$f")" -ne $((size << 20)) ]; then
  head -c $((size << 20)) /dev/urandom >"$f"
fi
bytes=$(stat -c %s "$f")
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2-$1:.3f}')"; }
settle() { sync; sleep 2; }

sha=(); link=(); copy=()
for i in $(seq "$rounds"); do
  settle
  t0=$(now); sha256sum "$f" >/dev/null; t1=$(now); sha+=("$(secs "$t0" "$t1")")
  rm -rf "$dir/link-layout"; settle
  read -r s _ < <("$bin" add "$f" "$dir/link-layout" link); link+=("$s")
  rm -rf "$dir/copy-layout"; settle
  read -r s _ < <("$bin" add "$f" "$dir/copy-layout" copy); copy+=("$s")
  rm -rf "$dir/link-layout" "$dir/copy-layout"
done

layout="$dir/push-layout"
rm -rf "$layout"
"$bin" prepare "$f" "$layout" bench >/dev/null

start_registry() {
  regdir="$dir/registry"
  rm -rf "$regdir"; mkdir -p "$regdir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s/data\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$regdir" "$port" >"$regdir/config.yml"
  docker-registry serve "$regdir/config.yml" >/dev/null 2>&1 &
  regpid=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "docker-registry did not start" >&2; return 1
}
stop_registry() { kill "$regpid" 2>/dev/null || true; wait "$regpid" 2>/dev/null || true; rm -rf "$dir/registry"; }
trap stop_registry EXIT

ours=(); sko=()
for i in $(seq "$rounds"); do
  start_registry; settle
  read -r s _ < <("$bin" push "$layout" bench "127.0.0.1:$port/ggufpack-$i:bench"); ours+=("$s")
  stop_registry
  start_registry; settle
  t0=$(now)
  skopeo copy --quiet --dest-tls-verify=false "oci:$layout:bench" "docker://127.0.0.1:$port/skopeo-$i:bench" >/dev/null
  t1=$(now); sko+=("$(secs "$t0" "$t1")")
  stop_registry
done
rm -rf "$layout"

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
row() { local s; s=$(median "$@"); python3 -c "print(f'| {$s:.3f} | {$bytes/1e9/$s:.3f} |')"; }
echo "runs: ${sha[*]} | ${link[*]} | ${copy[*]} | ${ours[*]} | ${sko[*]}" >&2
echo "| what ($bytes bytes, median of $rounds) | seconds | GB/s |"
echo "| --- | ---: | ---: |"
echo "| sha256sum $(row "${sha[@]}")"
echo "| Layout::add_file, hard link + hash $(row "${link[@]}")"
echo "| Layout::add_file, copy + hash (fsync) $(row "${copy[@]}")"
echo "| push (ggufpack client, modelpack raw layer) $(row "${ours[@]}")"
echo "| skopeo copy oci: → docker:// $(row "${sko[@]}")"
