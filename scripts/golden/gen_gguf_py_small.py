#!/usr/bin/env python3
"""Write small deterministic GGUF files with gguf-py's GGUFWriter and dump
what gguf-py's GGUFReader reads back from them as golden JSON.

Run with the gguf-py 0.19.0 interpreter:

    "$(scripts/ensure_gguf_py.sh)" scripts/golden/gen_gguf_py_small.py [--out DIR]

Writes into gguf/tests/golden/ (or DIR):

    gguf-py-all-types-le.gguf   GGUFEndian.LITTLE
    gguf-py-all-types-be.gguf   GGUFEndian.BIG, same content
    gguf-py-align64-le.gguf     same content + general.alignment = 64 (u32),
                                added with add_custom_alignment() right after
                                general.architecture
    gguf-py-small.json          per file: sha256, size, data_offset, KVs and
                                tensor infos as GGUFReader reads them back

Everything is deterministic (no timestamps, no randomness), so rerunning
produces byte-identical files.

gguf-py writer limitations met while building these (0.19.0):
  * add_array() silently skips empty sequences and _pack_val() raises
    "Invalid GGUF metadata array. Empty array", so an empty array cannot be
    written with GGUFWriter at all;
  * add_string() silently skips the empty string (but an empty string as an
    element of a string array is written);
  * nested arrays (array of arrays) ARE written: outer elem type ARRAY, and
    every element is {u32 elem type, u64 len, items} with no per-element
    value-type tag. GGUFReader reads them back (flattened parts, which are
    decoded here). Note ggml's gguf_init_from_file rejects any KV whose
    array element type is ARRAY (ggml/src/gguf.cpp, "invalid GGUF type"),
    so llama.cpp cannot load these three files.
"""

import argparse
import hashlib
import json
import os
import sys

import numpy as np  # noqa: E402
from gguf import (  # noqa: E402
    GGMLQuantizationType,
    GGUFEndian,
    GGUFReader,
    GGUFValueType,
    GGUFWriter,
)

try:
    from importlib.metadata import version as _dist_version

    GGUF_PY_VERSION = _dist_version("gguf")
except Exception:  # pragma: no cover
    GGUF_PY_VERSION = "unknown"

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(ROOT, "gguf", "tests", "golden")

SYNTHETIC = {"GGUF.version", "GGUF.tensor_count", "GGUF.kv_count"}
V = GGUFValueType

UNICODE_STRING = "h\u00e9llo w\u00f6rld \u00e9 \U0001F980\nsecond line \u2713"

# (key, GGUFValueType, value) for the scalars, in write order.
SCALARS = [
    ("test.scalar.uint8", V.UINT8, 255),
    ("test.scalar.int8", V.INT8, -128),
    ("test.scalar.uint16", V.UINT16, 65535),
    ("test.scalar.int16", V.INT16, -32768),
    ("test.scalar.uint32", V.UINT32, 4294967295),
    ("test.scalar.int32", V.INT32, -2147483648),
    ("test.scalar.float32", V.FLOAT32, -0.1),  # stored as f32 -0.100000001490116...
    ("test.scalar.bool", V.BOOL, True),
    ("test.scalar.string", V.STRING, UNICODE_STRING),
    ("test.scalar.uint64", V.UINT64, 18446744073709551615),
    ("test.scalar.int64", V.INT64, -9223372036854775808),
    ("test.scalar.float64", V.FLOAT64, -1.2345678901234567e300),
]

# (key, element type, values) for the typed arrays, in write order.
ARRAYS = [
    ("test.array.uint8", V.UINT8, [0, 1, 127, 128, 255]),
    ("test.array.int8", V.INT8, [-128, -1, 0, 1, 127]),
    ("test.array.uint16", V.UINT16, [0, 1, 65535]),
    ("test.array.int16", V.INT16, [-32768, -1, 0, 32767]),
    ("test.array.uint32", V.UINT32, [0, 1, 4294967295]),
    ("test.array.int32", V.INT32, [-2147483648, -1, 0, 2147483647]),
    ("test.array.float32", V.FLOAT32, [0.0, -1.5, 0.1, 3.4028234663852886e38, 1e-45]),
    ("test.array.bool", V.BOOL, [True, False, True]),
    ("test.array.string", V.STRING, ["a", "\u00e9", "\U0001F980 emoji", "multi\nline", ""]),
    ("test.array.uint64", V.UINT64, [0, 1, 18446744073709551615]),
    ("test.array.int64", V.INT64, [-9223372036854775808, -1, 9223372036854775807]),
    ("test.array.float64", V.FLOAT64, [0.0, -0.0, 1e-300, -1.5, 2.5e300]),
]

NESTED_KEY = "test.array.nested_int32"
NESTED = [[1, 2, 3], [-4, 5], [2147483647]]

# Written last, after the nested array.
TRAILER = ("test.last", V.UINT32, 0xDEADBEEF)


def tensors():
    """(name, array, raw_dtype) in write order."""
    f32 = np.arange(12, dtype=np.float32).reshape(3, 4)  # ne [4, 3]
    f16 = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 65504.0, 6.103515625e-05], dtype=np.float16)
    i32 = np.array([-2147483648, -1, 0, 1, 2147483647], dtype=np.int32)
    # Q8_0, ne [32, 2]: 2 rows of one 34-byte block each; a block is the
    # f16 scale d (little-endian) followed by 32 x int8.
    q8 = np.zeros((2, 34), dtype=np.uint8)
    for row, scale in enumerate((0.25, -1.5)):
        q8[row, 0:2] = np.frombuffer(np.array([scale], dtype="<f2").tobytes(), dtype=np.uint8)
        q8[row, 2:] = (np.arange(32, dtype=np.int16) * (row + 3) - 48).astype(np.int8).view(np.uint8)
    return [
        ("tensor.f32", f32, None),
        ("tensor.f16", f16, None),
        ("tensor.i32", i32, None),
        ("tensor.q8_0", q8, GGMLQuantizationType.Q8_0),
    ]


def write_file(path, endian, alignment=None):
    w = GGUFWriter(path, "test", endianess=endian)
    if alignment is not None:
        w.add_custom_alignment(alignment)
    for key, vtype, val in SCALARS:
        w.add_key_value(key, val, vtype)
    for key, etype, vals in ARRAYS:
        w.add_key_value(key, vals, V.ARRAY, sub_type=etype)
    w.add_array(NESTED_KEY, NESTED)
    w.add_key_value(TRAILER[0], TRAILER[2], TRAILER[1])
    for name, arr, raw_dtype in tensors():
        w.add_tensor(name, arr, raw_dtype=raw_dtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# --- reading back ------------------------------------------------------------


def _num(x, vtype):
    if vtype == V.BOOL:
        return bool(x)
    if vtype in (V.FLOAT32, V.FLOAT64):
        return float(x)
    return int(x)


def decode(parts, i, vtype):
    """Decode one value of type vtype from GGUFReader's flattened field parts,
    starting at parts[i]. Returns (value, next_i, info) where info carries the
    element type(s) for arrays."""
    if vtype == V.STRING:
        # parts[i] = u64 length, parts[i+1] = bytes
        return bytes(parts[i + 1]).decode("utf-8"), i + 2, None
    if vtype == V.ARRAY:
        etype = V(int(parts[i][0]))
        n = int(parts[i + 1][0])
        i += 2
        out, inner = [], []
        for _ in range(n):
            v, i, info = decode(parts, i, etype)
            out.append(v)
            inner.append(info)
        return out, i, {"elem_type": etype.name, "len": n, "inner": inner}
    return _num(parts[i].tolist()[0], vtype), i + 1, None


def read_kvs(r):
    kvs = []
    for key, field in r.fields.items():
        if key in SYNTHETIC:
            continue
        vtype = field.types[0]
        # parts[0..3] = key length, key bytes, value type
        assert V(int(field.parts[2][0])) == vtype, key
        value, end, info = decode(field.parts, 3, vtype)
        assert end == len(field.parts), key
        if not (vtype == V.ARRAY and len(field.types) > 1 and field.types[1] == V.ARRAY):
            # cross-check with gguf-py's own high-level accessor
            assert field.contents() == value, key
        ent = {"key": key, "type": vtype.name}
        if vtype == V.ARRAY:
            ent["elem_type"] = info["elem_type"]
            ent["len"] = info["len"]
            if info["elem_type"] == "ARRAY":
                ent["inner_elem_types"] = [x["elem_type"] for x in info["inner"]]
        ent["value"] = value
        kvs.append(ent)
    return kvs


def sha256_bytes(b):
    return hashlib.sha256(b).hexdigest()


def describe(path):
    r = GGUFReader(path)
    raw = open(path, "rb").read()
    alignment = int(r.alignment)
    ts = []
    for t in r.tensors:
        rel = int(t.data_offset) - int(r.data_offset)
        stored = raw[int(t.data_offset) : int(t.data_offset) + int(t.n_bytes)]
        ts.append(
            {
                "name": t.name,
                "ne": [int(x) for x in t.shape],
                "type": int(t.tensor_type),
                "type_name": t.tensor_type.name,
                "offset": rel,
                "n_bytes": int(t.n_bytes),
                "data_hex": stored.hex(),
            }
        )
    return {
        "file": os.path.basename(path),
        "endian": r.endianess.name,
        "sha256": sha256_bytes(raw),
        "size": len(raw),
        "version": int(r.fields["GGUF.version"].parts[0][0]),
        "alignment": alignment,
        "data_offset": int(r.data_offset),
        "n_kv": int(r.fields["GGUF.kv_count"].parts[0][0]),
        "n_tensors": int(r.fields["GGUF.tensor_count"].parts[0][0]),
        "kv": read_kvs(r),
        "tensors": ts,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: gguf/tests/golden)")
    ap.add_argument("--check", action="store_true",
                    help="write into a temp dir and compare byte-for-byte with --out instead of overwriting")
    args = ap.parse_args()
    if args.check:
        import filecmp
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            generate(tmp)
            bad = [n for n in OUTPUTS if not filecmp.cmp(os.path.join(tmp, n), os.path.join(args.out, n), shallow=False)]
        if bad:
            print("gen_gguf_py_small: differs: " + ", ".join(bad), file=sys.stderr)
            sys.exit(1)
        print("gen_gguf_py_small: golden files up to date", file=sys.stderr)
        return
    generate(args.out)


OUTPUTS = [
    "gguf-py-all-types-le.gguf",
    "gguf-py-all-types-be.gguf",
    "gguf-py-align64-le.gguf",
    "gguf-py-small.json",
]


def generate(out_dir):
    os.makedirs(out_dir, exist_ok=True)

    specs = [
        ("gguf-py-all-types-le.gguf", GGUFEndian.LITTLE, None),
        ("gguf-py-all-types-be.gguf", GGUFEndian.BIG, None),
        ("gguf-py-align64-le.gguf", GGUFEndian.LITTLE, 64),
    ]
    files = []
    for name, endian, align in specs:
        path = os.path.join(out_dir, name)
        write_file(path, endian, align)
        d = describe(path)
        assert d["size"] < 4096, (name, d["size"])
        files.append(d)

    le, be = files[0], files[1]
    # Same content modulo byte order: KVs and tensor infos identical.
    assert le["kv"] == be["kv"] and [
        {k: v for k, v in t.items() if k != "data_hex"} for t in le["tensors"]
    ] == [{k: v for k, v in t.items() if k != "data_hex"} for t in be["tensors"]]
    swapped = [t["name"] for t, u in zip(le["tensors"], be["tensors"]) if t["data_hex"] != u["data_hex"]]

    doc = {
        "generator": f"gguf-py {GGUF_PY_VERSION} GGUFWriter (scripts/golden/gen_gguf_py_small.py)",
        "notes": [
            "kv: every KV in file order as GGUFReader reads it back (synthetic GGUF.* fields omitted). "
            "Floats are the exact double of the stored value (f32 values: compare after casting to f32).",
            "Arrays: elem_type, len, value. Nested arrays: elem_type ARRAY, inner_elem_types per element, "
            "value is a list of lists. On disk each inner array is {u32 elem_type, u64 len, items} with no "
            "per-element value-type tag. ggml's gguf reader rejects nested arrays.",
            "GGUFWriter cannot write empty arrays (add_array skips them, _pack_val raises) nor an empty "
            "scalar string (add_string skips it), so none are in these files. An empty string does occur "
            "as the last element of test.array.string.",
            "tensors: ne in ggml order (ne[0] first), offset relative to data_offset, data_hex = the "
            "n_bytes stored in the file (padding excluded).",
            "Big-endian file: header counts, KV and tensor-info integers/floats are big-endian (magic "
            "'GGUF' stays as bytes 47 47 55 46). Tensor data is byteswapped by numpy "
            "ndarray.byteswap() per element of the array passed to add_tensor(), i.e. F32 (4-byte), "
            "F16 (2-byte) and I32 (4-byte) elements are swapped; the Q8_0 tensor is a uint8 array, "
            "so byteswap is a no-op and its blocks (including the f16 scale d) stay little-endian. "
            "Tensors whose data differs LE vs BE: " + ", ".join(swapped) + ".",
            "gguf-py-align64-le.gguf: general.alignment=64 (UINT32) is the second KV; the tensor data "
            "section start and every tensor offset are padded to 64 bytes.",
        ],
        "files": files,
    }
    out_json = os.path.join(out_dir, "gguf-py-small.json")
    with open(out_json, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    for d in files:
        print(f"{d['file']}\t{d['size']}\t{d['sha256']}", file=sys.stderr)
    print(out_json, file=sys.stderr)


if __name__ == "__main__":
    main()
