#!/usr/bin/env python3
"""Dump a GGUF file's header as golden JSON using gguf-py's GGUFReader.

gguf-py (the `gguf` PyPI package) is the independent reference for the
`gguf` crate's parser: every value below is taken from the ReaderField
parts / ReaderTensor objects that GGUFReader builds, never by re-parsing
the file here.

Usage:
    dump_gguf_py.py FILE.gguf [-o OUT.json]

Output format (pretty-printed, indent 1, keys in the order shown, KVs and
tensors in file order):

{
 "generator": "gguf-py <version>",
 "file": "<basename>",
 "sha256": "<hex sha256 of the whole file>",
 "file_size": <int>,
 "version": <GGUF version>,
 "alignment": <general.alignment or 32>,
 "data_offset": <absolute offset of the tensor data section>,
 "kv": [
  {"key": K, "type": "UINT32", "value": V},                 # scalars
  {"key": K, "type": "ARRAY", "elem_type": T, "len": N,
   "digest": "<sha256 hex>", "value": [...]}               # value only if N <= 64
 ],
 "tensors": [
  {"name": N, "ne": [ne0, ne1, ...], "type": <ggml type id>,
   "type_name": "Q4_1", "offset": <relative to data section, as stored>,
   "n_bytes": <int>}
 ]
}

gguf-py's synthetic fields GGUF.version / GGUF.tensor_count / GGUF.kv_count
are not listed under "kv".

Array digest: sha256 over the elements in order, each encoded as
  numeric -> little-endian bytes in the element's own width
             (u8/i8 1 byte, u16/i16 2, u32/i32/f32 4, u64/i64/f64 8)
  bool    -> one byte, 0 or 1
  string  -> u64 little-endian byte length, then the raw bytes
Nested arrays raise an error (none occur in the golden files).
"""

import argparse
import hashlib
import json
import os
import struct
import sys

import numpy as np
from gguf import GGUFReader, GGUFValueType, GGMLQuantizationType

try:
    from importlib.metadata import version as _dist_version

    GGUF_PY_VERSION = _dist_version("gguf")
except Exception:  # pragma: no cover
    GGUF_PY_VERSION = "unknown"

SYNTHETIC = {"GGUF.version", "GGUF.tensor_count", "GGUF.kv_count"}
MAX_INLINE = 64

INT_TYPES = {
    GGUFValueType.UINT8,
    GGUFValueType.INT8,
    GGUFValueType.UINT16,
    GGUFValueType.INT16,
    GGUFValueType.UINT32,
    GGUFValueType.INT32,
    GGUFValueType.UINT64,
    GGUFValueType.INT64,
}
FLOAT_TYPES = {GGUFValueType.FLOAT32, GGUFValueType.FLOAT64}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def scalar_json(vtype, part):
    """JSON value of a scalar stored in a 1-element numpy part."""
    v = part[0]
    if vtype in INT_TYPES:
        return int(v)
    if vtype in FLOAT_TYPES:
        return float(v)
    if vtype == GGUFValueType.BOOL:
        return bool(v)
    raise ValueError("not a numeric scalar type: %s" % vtype)


def le_bytes(part):
    """Little-endian bytes of a numeric numpy part (handles byte-swapped views)."""
    return part.astype(part.dtype.newbyteorder("<"), copy=False).tobytes()


def string_value(data_part):
    return bytes(data_part).decode("utf-8")


def kv_entry(field):
    vtype = field.types[0]
    entry = {"key": field.name, "type": vtype.name}
    if vtype == GGUFValueType.STRING:
        # parts: [key_len, key, type, str_len, str_bytes]; data -> str_bytes
        entry["value"] = string_value(field.parts[field.data[0]])
        return entry
    if vtype != GGUFValueType.ARRAY:
        entry["value"] = scalar_json(vtype, field.parts[field.data[0]])
        return entry

    # parts: [key_len, key, type, elem_type, len, elem parts...]
    raw_elem_type = int(field.parts[3][0])
    elem_type = GGUFValueType(raw_elem_type)
    n = int(field.parts[4][0])
    if elem_type == GGUFValueType.ARRAY:
        raise ValueError("nested array in key %r is not supported" % field.name)
    if len(field.data) != n:
        raise ValueError("key %r: %d data parts for array of length %d" % (field.name, len(field.data), n))
    entry["elem_type"] = elem_type.name
    entry["len"] = n

    h = hashlib.sha256()
    values = [] if n <= MAX_INLINE else None
    if elem_type == GGUFValueType.STRING:
        for idx in field.data:
            data = bytes(field.parts[idx])
            # The length part precedes the data part; cross-check it.
            if int(field.parts[idx - 1][0]) != len(data):
                raise ValueError("key %r: string length mismatch" % field.name)
            h.update(struct.pack("<Q", len(data)))
            h.update(data)
            if values is not None:
                values.append(data.decode("utf-8"))
    elif elem_type == GGUFValueType.BOOL:
        for idx in field.data:
            b = bool(field.parts[idx][0])
            h.update(b"\x01" if b else b"\x00")
            if values is not None:
                values.append(b)
    else:
        parts = [field.parts[idx] for idx in field.data]
        if parts:
            h.update(le_bytes(np.concatenate(parts)))
        if values is not None:
            values = [scalar_json(elem_type, p) for p in parts]
    entry["digest"] = h.hexdigest()
    if values is not None:
        entry["value"] = values
    return entry


def tensor_entry(t):
    # field.parts: [name_len, name, n_dims, dims, raw_dtype, offset]
    _name_len, _name, n_dims, dims, raw_dtype, offset = t.field.parts
    if int(n_dims[0]) != len(dims):
        raise ValueError("tensor %r: n_dims mismatch" % t.name)
    type_id = int(raw_dtype[0])
    return {
        "name": t.name,
        "ne": [int(d) for d in dims],
        "type": type_id,
        "type_name": GGMLQuantizationType(type_id).name,
        "offset": int(offset[0]),
        "n_bytes": int(t.n_bytes),
    }


def dump(path):
    reader = GGUFReader(path)
    kv = [kv_entry(f) for name, f in reader.fields.items() if name not in SYNTHETIC]
    return {
        "generator": "gguf-py %s" % GGUF_PY_VERSION,
        "file": os.path.basename(path),
        "sha256": sha256_file(path),
        "file_size": os.path.getsize(path),
        "version": int(reader.fields["GGUF.version"].parts[0][0]),
        "alignment": int(reader.alignment),
        "data_offset": int(reader.data_offset),
        "kv": kv,
        "tensors": [tensor_entry(t) for t in reader.tensors],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--output", help="write JSON here instead of stdout")
    args = ap.parse_args()
    doc = dump(args.file)
    text = json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    if args.output:
        tmp = args.output + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.output)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
