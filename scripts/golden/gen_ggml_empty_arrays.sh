#!/usr/bin/env bash
# Write gguf/tests/golden/ggml-empty-arrays-le.gguf with ggml's own gguf
# writer (empty arrays and an empty string, which gguf-py's GGUFWriter
# cannot write) and gguf/tests/golden/ggml-empty-arrays.json describing it
# as read back by both ggml (gguf_init_from_file) and gguf-py (GGUFReader).
#
# Usage: scripts/golden/gen_ggml_empty_arrays.sh [--check]
#
# libggml-base comes from scripts/bench-reference/build_ggml.sh (llama-cpp-
# python 0.3.36 sdist, cached under $GGUFPACK_CACHE/ref); the writer is our
# own scripts/golden/ggml_empty_arrays.c calling the public gguf.h API.
set -euo pipefail

LCP_VERSION=0.3.36
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
golden="$root/gguf/tests/golden"
cache="${GGUFPACK_CACHE:-$HOME/.cache/ggufpack}"
ref="$cache/ref"
inc="$ref/llama_cpp_python-$LCP_VERSION/vendor/llama.cpp/ggml/include"

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

"$root/scripts/bench-reference/build_ggml.sh" >/dev/null
lib="$(dirname "$(find "$ref/build-ggml-$LCP_VERSION" -name 'libggml-base.so' | head -n1)")"
bin="$ref/bin/ggml_empty_arrays"
cc -O2 -std=c11 -Wall -Wextra -I "$inc" -o "$bin" "$here/ggml_empty_arrays.c" \
  -L "$lib" -lggml-base -Wl,-rpath,"$lib"

out="$golden"
if [ "$check" = 1 ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
fi
gguf_file="$out/ggml-empty-arrays-le.gguf"
ggml_view="$("$bin" "$gguf_file")"

PY="$("$root/scripts/ensure_gguf_py.sh")"
(cd / && "$PY" - "$here" "$gguf_file" "$out/ggml-empty-arrays.json") <<PYEOF
import json, sys
sys.path.insert(0, sys.argv[1])
from gen_gguf_py_small import describe
d = describe(sys.argv[2])
ggml = {"kv": [], "data_offset": None}
for line in """$ggml_view""".strip().splitlines():
    parts = line.split("\t")
    if parts[0] == "data_offset":
        ggml["data_offset"] = int(parts[1])
    else:
        ent = {"key": parts[0], "type": parts[1]}
        if len(parts) > 2:
            ent["elem_type"], ent["len"] = parts[2], int(parts[3])
        ggml["kv"].append(ent)
doc = {
    "generator": "ggml gguf_write_to_file (llama-cpp-python 0.3.36 sdist) via scripts/golden/ggml_empty_arrays.c; read back with gguf-py 0.19.0 GGUFReader",
    "notes": [
        "Empty arrays are written as {u32 elem_type, u64 len = 0} with no items; the empty string as {u64 len = 0}.",
        "No tensors. ggml's writer still pads the file to the alignment (32), but ggml's reader only "
        "aligns the data offset when n_tensors > 0 (gguf.cpp: gguf_init_from_file_impl), so "
        "gguf_get_data_offset() = end of the KV section (ggml.data_offset) while GGUFReader always pads "
        "(gguf_py.data_offset).",
        "ggml type names: str, arr, i32, u8, u32 (gguf_type_name).",
    ],
    "gguf_py": d,
    "ggml": ggml,
}
with open(sys.argv[3], "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=1, ensure_ascii=False)
    f.write("\n")
PYEOF

if [ "$check" = 1 ]; then
  status=0
  for f in ggml-empty-arrays-le.gguf ggml-empty-arrays.json; do
    cmp -s "$golden/$f" "$out/$f" || { echo "gen_ggml_empty_arrays: $f differs" >&2; status=1; }
  done
  [ "$status" = 0 ] && echo "gen_ggml_empty_arrays: up to date" >&2
  exit "$status"
fi
ls -l "$golden"/ggml-empty-arrays* >&2
