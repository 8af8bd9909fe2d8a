#!/usr/bin/env bash
# Build llama.cpp's `llama-gguf-split` from the cached llama-cpp-python
# 0.3.36 sdist and record its split/merge output on SmolLM2 as golden JSON.
#
# Usage: scripts/golden/gen_gguf_split.sh [--check] [--keep DIR]
#
#   (no args)   rewrite gguf/tests/golden/gguf-split-smollm2.json
#   --check     regenerate into a temp file and diff against the committed one
#   --keep DIR  write the shards / merged file into DIR and leave them there
#               (default: a temp dir under the cache, deleted on exit)
#
# Cache layout (same as scripts/bench-reference/build_ggml.sh):
#   $GGUFPACK_CACHE/ref/llama_cpp_python-0.3.36.tar.gz    sdist (pip download)
#   $GGUFPACK_CACHE/ref/llama_cpp_python-0.3.36/          extracted sdist
#   $GGUFPACK_CACHE/ref/build-tools-0.3.36/               cmake build dir for
#       llama-gguf-split (kept separate from build-ggml-0.3.36 because it
#       needs LLAMA_BUILD_COMMON/TOOLS=ON; reconfiguring the ggml-only dir
#       would flip its options back and forth).
#
# The tool links libllama + llama-common, so those are built too (static,
# Release, GGML_NATIVE=OFF, no OpenMP/curl/OpenSSL; tests, examples, server,
# app off). The first build takes a while on 2 cores; later runs are
# incremental no-ops. Nothing from llama.cpp is copied into this repo.
set -euo pipefail

LCP_VERSION=0.3.36
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
golden="$root/gguf/tests/golden"
cache="${GGUFPACK_CACHE:-$HOME/.cache/ggufpack}"
ref="$cache/ref"
src="$ref/llama_cpp_python-$LCP_VERSION"
llama="$src/vendor/llama.cpp"
build="$ref/build-tools-$LCP_VERSION"
jobs="${JOBS:-2}"

log() { echo "gen_gguf_split: $*" >&2; }

check=0
keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1 ;;
    --keep) shift; keep="${1:?--keep needs a directory}" ;;
    *) echo "usage: $0 [--check] [--keep DIR]" >&2; exit 2 ;;
  esac
  shift
done

mkdir -p "$ref"

# --- sdist -----------------------------------------------------------------
tarball="$ref/llama_cpp_python-$LCP_VERSION.tar.gz"
if [ ! -s "$tarball" ]; then
  log "downloading llama-cpp-python==$LCP_VERSION sdist"
  python3 -m pip download --no-deps --no-binary :all: -d "$ref" "llama-cpp-python==$LCP_VERSION" >&2
  [ -s "$tarball" ] || { log "sdist not found at $tarball after pip download"; exit 1; }
fi
if [ ! -f "$llama/tools/gguf-split/gguf-split.cpp" ]; then
  log "extracting $tarball"
  tmp="$(mktemp -d "$ref/extract.XXXXXX")"
  tar -xzf "$tarball" -C "$tmp"
  rm -rf "$src"
  mv "$tmp/llama_cpp_python-$LCP_VERSION" "$src"
  rmdir "$tmp"
fi

# --- build -----------------------------------------------------------------
log "configuring $llama -> $build"
cmake -S "$llama" -B "$build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_COMMON=ON \
  -DLLAMA_BUILD_TOOLS=ON \
  -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_SERVER=OFF \
  -DLLAMA_BUILD_APP=OFF \
  -DLLAMA_BUILD_UI=OFF \
  -DLLAMA_LLGUIDANCE=OFF \
  -DGGML_NATIVE=OFF \
  -DGGML_OPENMP=OFF \
  -DGGML_CCACHE=OFF >&2
log "building target llama-gguf-split (-j$jobs)"
t0=$(date +%s)
cmake --build "$build" --target llama-gguf-split -j"$jobs" >&2
t1=$(date +%s)
log "build step took $((t1 - t0)) s"
tool="$(find "$build" -type f -name llama-gguf-split -perm -u+x | head -n1)"
[ -n "$tool" ] || { log "llama-gguf-split not found under $build"; exit 1; }
log "tool: $tool"

# --- inputs ----------------------------------------------------------------
PY="$("$root/scripts/ensure_gguf_py.sh")"
model="$(python3 "$root/scripts/fetch_models.py" smollm2)"
[ -s "$model" ] || { log "model not found: $model"; exit 1; }

if [ -n "$keep" ]; then
  mkdir -p "$keep"
  work="$(cd "$keep" && pwd)"
  rm -f "$work"/smol-t100-*.gguf "$work"/smol-s30m-*.gguf "$work"/merged-t100.gguf
else
  work="$(mktemp -d "$cache/gguf-split-golden.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
fi

# --- runs ------------------------------------------------------------------
log "split --split-max-tensors 100"
"$tool" --split --split-max-tensors 100 "$model" "$work/smol-t100" >"$work/t100.log" 2>&1 \
  || { cat "$work/t100.log" >&2; exit 1; }
log "split --split-max-size 30M"
"$tool" --split --split-max-size 30M "$model" "$work/smol-s30m" >"$work/s30m.log" 2>&1 \
  || { cat "$work/s30m.log" >&2; exit 1; }
first="$(ls "$work"/smol-t100-00001-of-*.gguf | head -n1)"
log "merge $(basename "$first")"
"$tool" --merge "$first" "$work/merged-t100.gguf" >"$work/merge.log" 2>&1 \
  || { cat "$work/merge.log" >&2; exit 1; }

if [ "$check" = 1 ]; then
  out_json="$work/gguf-split-smollm2.json"
else
  out_json="$golden/gguf-split-smollm2.json"
fi

# Run from / so that the repo's gguf/ directory is not imported as "gguf".
(cd / && "$PY" - "$model" "$work" "$out_json") <<'PYEOF'
import hashlib, json, os, sys
from gguf import GGUFReader, GGUFValueType

model, work, out_json = sys.argv[1:4]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


SYNTH = {"GGUF.version", "GGUF.tensor_count", "GGUF.kv_count"}


def scalar(field):
    t = field.types[0]
    if t == GGUFValueType.STRING:
        return bytes(field.parts[field.data[0]]).decode("utf-8")
    return field.parts[field.data[0]].tolist()[0]


def describe(path):
    r = GGUFReader(path)
    keys = [k for k in r.fields if k not in SYNTH]
    split_kv = {}
    for k in keys:
        if k.startswith("split."):
            f = r.fields[k]
            split_kv[k] = {"type": f.types[0].name, "value": scalar(f)}
    tensors = r.tensors
    return {
        "file": os.path.basename(path),
        "sha256": sha256(path),
        "size": os.path.getsize(path),
        "tensors": len(tensors),
        "n_kv": len(keys),
        "data_offset": int(r.data_offset),
        "first_tensor": tensors[0].name if tensors else None,
        "last_tensor": tensors[-1].name if tensors else None,
        # sum of GGML_PAD(nbytes, 32) over this shard's tensors = the
        # quantity gguf-split compares against --split-max-size
        "padded_tensor_bytes": sum((int(t.n_bytes) + 31) // 32 * 32 for t in tensors),
        "split_kv": split_kv,
        "kv_keys": keys,
    }


def shards(prefix):
    files = sorted(f for f in os.listdir(work) if f.startswith(prefix + "-") and f.endswith(".gguf"))
    return [describe(os.path.join(work, f)) for f in files]


t100 = shards("smol-t100")
s30m = shards("smol-s30m")
merged = describe(os.path.join(work, "merged-t100.gguf"))
inp = describe(model)

doc = {
    "tool": "llama-gguf-split (llama-cpp-python 0.3.36 sdist)",
    "input": os.path.basename(model),
    "input_sha256": inp["sha256"],
    "input_size": inp["size"],
    "input_tensors": inp["tensors"],
    "input_n_kv": inp["n_kv"],
    "notes": [
        "max_tensors/max_bytes are the effective limits: the modes are exclusive, "
        "so the --split-max-tensors default (128) does not apply with --split-max-size.",
        "max_bytes is compared (strictly greater => new shard) against the running sum of "
        "GGML_PAD(nbytes, 32) of the tensors in the current shard, including the tensor being "
        "added; metadata is not counted. A new shard starts with that tensor's padded size.",
        "Only shard 1 carries the input KVs. Every shard gets split.no (u16), split.count (u16) "
        "and split.tensors.count (i32); split.count is re-set last, so it ends up after "
        "split.tensors.count.",
        "The merged file keeps split.no=0 / split.tensors.count and has split.count=0, so it is "
        "not byte-identical to the input.",
        "kv_keys omit gguf-py's synthetic GGUF.version/tensor_count/kv_count.",
    ],
    "runs": [
        {"args": ["--split-max-tensors", "100"], "max_tensors": 100, "max_bytes": None, "shards": t100},
        {"args": ["--split-max-size", "30M"], "max_tensors": None, "max_bytes": 30000000, "shards": s30m},
    ],
    "merge": {
        "from": "t100",
        "args": ["--merge", t100[0]["file"], "merged-t100.gguf"],
        **{k: merged[k] for k in ("file", "sha256", "size", "tensors", "n_kv", "data_offset", "split_kv", "kv_keys")},
        "identical_to_input": merged["sha256"] == inp["sha256"],
        "data_section_identical_to_input": None,
    },
}

# Compare the merged data section with the input's data section.
def data_digest(path, off):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(off)
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

doc["merge"]["data_section_identical_to_input"] = (
    data_digest(os.path.join(work, "merged-t100.gguf"), merged["data_offset"])
    == data_digest(model, inp["data_offset"])
)

with open(out_json, "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=1, ensure_ascii=False)
    f.write("\n")
PYEOF

if [ "$check" = 1 ]; then
  if diff -u "$golden/gguf-split-smollm2.json" "$out_json" >&2; then
    log "gguf-split-smollm2.json up to date"
  else
    log "gguf-split-smollm2.json differs from regenerated output"
    exit 1
  fi
else
  log "wrote $out_json"
fi
