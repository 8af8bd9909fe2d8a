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
  rm -f "$work"/smol-*.gguf "$work"/smol-*.log "$work"/smol-*.rc "$work"/merged-t100.gguf
else
  work="$(mktemp -d "$cache/gguf-split-golden.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
fi

# --- runs ------------------------------------------------------------------
# run NAME ARGS...: split $model into $work/NAME-0000i-of-0000n.gguf; the exit
# status and the tool's output are kept in $work/NAME.rc / NAME.log (a failing
# split is recorded in the JSON, not fatal).
run() {
  local name="$1"; shift
  log "split $* -> $name"
  set +e
  "$tool" --split "$@" "$model" "$work/$name" >"$work/$name.log" 2>&1
  echo $? >"$work/$name.rc"
  set -e
}
run smol-t100 --split-max-tensors 100
# 30M is below the padded size of the first tensor (token_embd.weight, Q8_0,
# 30081024 bytes): the tool refuses with "one of splits have 0 tensors".
run smol-s30m --split-max-size 30M
run smol-s31m --split-max-size 31M
run smol-s50m --split-max-size 50M
[ "$(cat "$work/smol-t100.rc")" = 0 ] || { cat "$work/smol-t100.log" >&2; exit 1; }

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
SYNTH = {"GGUF.version", "GGUF.tensor_count", "GGUF.kv_count"}
PAD = 32  # GGUF_DEFAULT_ALIGNMENT, hard-coded in gguf-split.cpp


def pad(n):
    return (n + PAD - 1) // PAD * PAD


def sha256(path, start=0):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(start)
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def scalar(field):
    if field.types[0] == GGUFValueType.STRING:
        return bytes(field.parts[field.data[0]]).decode("utf-8")
    return field.parts[field.data[0]].tolist()[0]


inp_reader = GGUFReader(model)
inp_tensors = {t.name: t for t in inp_reader.tensors}


def describe(path):
    r = GGUFReader(path)
    keys = [k for k in r.fields if k not in SYNTH]
    split_kv = {
        k: {"type": r.fields[k].types[0].name, "value": scalar(r.fields[k])}
        for k in keys if k.startswith("split.")
    }
    ts = r.tensors
    # every tensor's bytes must equal the input's
    for t in ts:
        src = inp_tensors[t.name]
        assert t.n_bytes == src.n_bytes and bytes(t.data.view("u1")) == bytes(src.data.view("u1")), (path, t.name)
    return {
        "file": os.path.basename(path),
        "sha256": sha256(path),
        "size": os.path.getsize(path),
        "tensors": len(ts),
        "n_kv": len(keys),
        "data_offset": int(r.data_offset),
        "first_tensor": ts[0].name if ts else None,
        "last_tensor": ts[-1].name if ts else None,
        # the quantity gguf-split compares against --split-max-size
        "padded_tensor_bytes": sum(pad(int(t.n_bytes)) for t in ts),
        "split_kv": split_kv,
        "kv_keys": keys,
    }


def plan(max_tensors, max_bytes):
    """Re-derive the split plan from the input tensor list (gguf-split.cpp
    split_strategy); None where the tool must fail."""
    counts, cur_n, cur_bytes = [], 0, 0
    for i, t in enumerate(inp_reader.tensors):
        nb = pad(int(t.n_bytes))
        if max_bytes is not None:
            split = cur_bytes + nb > max_bytes
        else:
            split = i > 0 and i % max_tensors == 0
        if split:
            if cur_n == 0:
                return None
            counts.append(cur_n)
            cur_n, cur_bytes = 0, 0
        cur_n += 1
        cur_bytes += nb
    return counts + [cur_n]


def run(name, args, max_tensors, max_bytes):
    rc = int(open(os.path.join(work, name + ".rc")).read())
    files = sorted(f for f in os.listdir(work) if f.startswith(name + "-") and f.endswith(".gguf"))
    shards = [describe(os.path.join(work, f)) for f in files]
    expect = plan(max_tensors, max_bytes)
    ent = {"args": args, "max_tensors": max_tensors, "max_bytes": max_bytes, "exit_code": rc}
    if rc != 0:
        lines = [l for l in open(os.path.join(work, name + ".log")).read().splitlines() if l.startswith("error")]
        ent["error"] = lines[0] if lines else None
        assert expect is None and not shards, (name, expect, files)
    else:
        assert expect == [s["tensors"] for s in shards], (name, expect)
    ent["shards"] = shards
    return ent


runs = [
    run("smol-t100", ["--split-max-tensors", "100"], 100, None),
    run("smol-s30m", ["--split-max-size", "30M"], None, 30_000_000),
    run("smol-s31m", ["--split-max-size", "31M"], None, 31_000_000),
    run("smol-s50m", ["--split-max-size", "50M"], None, 50_000_000),
]
t100 = runs[0]["shards"]
merged_path = os.path.join(work, "merged-t100.gguf")
merged = describe(merged_path)
inp = describe(model)

doc = {
    "tool": "llama-gguf-split (llama-cpp-python 0.3.36 sdist)",
    "input": os.path.basename(model),
    "input_sha256": inp["sha256"],
    "input_size": inp["size"],
    "input_tensors": inp["tensors"],
    "input_n_kv": inp["n_kv"],
    "input_first_tensor_padded_bytes": pad(int(inp_reader.tensors[0].n_bytes)),
    "notes": [
        "max_tensors/max_bytes are the effective limits. --split-max-tensors and --split-max-size are "
        "mutually exclusive modes (should_split() looks only at the selected mode), so the "
        "--split-max-tensors default of 128 does NOT apply when --split-max-size is given. "
        "'M' = 1000*1000 bytes, 'G' = 1000^3.",
        "Size mode: tensor i goes to a new shard iff curr + GGML_PAD(nbytes_i, 32) > max_bytes, where "
        "curr is the sum of GGML_PAD(nbytes, 32) of the tensors already in the current shard (strictly "
        "greater; equal still fits). Metadata (header/KV/tensor infos) is not counted. After a split "
        "curr restarts at the tensor's own padded size, so a tensor larger than max_bytes gets a shard "
        "of its own - except at i = 0, where the split would leave shard 1 empty and the tool exits 1 "
        "with 'error: one of splits have 0 tensors' (the 30M run: token_embd.weight pads to "
        "30081024 > 30000000). padded_tensor_bytes per shard is that sum; it is always <= max_bytes "
        "unless the shard holds a single oversize tensor.",
        "Tensor mode: a new shard starts at tensor index i when i > 0 and i % max_tensors == 0.",
        "Tensor data in shards and in the merged file is padded to 32 bytes (GGUF_DEFAULT_ALIGNMENT), "
        "independent of general.alignment.",
        "Only shard 1 carries the input KVs (in input order). Every shard then gets split.no (UINT16), "
        "split.count (UINT16) and split.tensors.count (INT32) appended; split.count is set again after "
        "the plan is known and ggml's gguf_set_* removes and re-appends an existing key, so the final "
        "order is split.no, split.tensors.count, split.count.",
        "Merge copies shard 1's KVs after setting split.count = 0 on it (which again moves split.count "
        "last), so the merged file has the input KVs + split.no=0, split.tensors.count, split.count=0 "
        "and is not byte-identical to the input; its tensor data section is.",
        "kv_keys omit gguf-py's synthetic GGUF.version/tensor_count/kv_count. Every shard's tensor "
        "bytes were checked against the input's, and each run's shard tensor counts against a "
        "re-derivation of the rule above.",
    ],
    "source_refs": {
        "file": "vendor/llama.cpp/tools/gguf-split/gguf-split.cpp (llama-cpp-python 0.3.36 sdist)",
        "45": "n_split_tensors = 128 default",
        "74-90": "split_str_to_n_bytes: M = n*1000*1000, G = n*1000^3, n > 0",
        "136-150": "--split-max-tensors / --split-max-size set mutually exclusive modes",
        "167-169": "mode defaults to MODE_TENSOR when neither is given",
        "229-246": "new_ctx_out: KVs copied only into split 0 (241); split.no, split.count=0, split.tensors.count set (243-245)",
        "232-234": "a finished split with 0 tensors -> 'error: one of splits have 0 tensors', exit 1",
        "257": "curr_tensors_size counts only tensors size (without metadata)",
        "261-268": "n_bytes = GGML_PAD(ggml_nbytes(t), 32); split if should_split(i, curr + n_bytes), then curr = n_bytes, else curr += n_bytes",
        "276-278": "split.count re-set to the final count on every split",
        "287-297": "should_split: size mode 'next_size > n_bytes_split' (290); tensor mode 'i > 0 && i < n && i % n_split_tensors == 0' (293)",
        "348, 555": "tensor data padded with zeros to GGML_PAD(n_bytes, GGUF_DEFAULT_ALIGNMENT) when writing shards / merged file",
        "491-494": "merge: split.count set to 0 on shard 1's KVs, then copied into the output",
        "ggml/src/gguf.cpp 1270-1274": "gguf_set_val_u16 (like every gguf_set_*) does gguf_remove_key + emplace_back, i.e. re-setting a key moves it to the end",
    },
    "runs": runs,
    "merge": {
        "from": "t100",
        "args": ["--merge", t100[0]["file"], "merged-t100.gguf"],
        **{k: merged[k] for k in ("file", "sha256", "size", "tensors", "n_kv", "data_offset", "split_kv", "kv_keys")},
        "identical_to_input": merged["sha256"] == inp["sha256"],
        "data_section_identical_to_input":
            sha256(merged_path, merged["data_offset"]) == sha256(model, inp["data_offset"]),
    },
}

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
