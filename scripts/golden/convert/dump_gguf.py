#!/usr/bin/env python3
"""Dump a GGUF file written by convert_hf_to_gguf.py as the JSON expectation ggufpack-convert's
tests compare with: file sha256 and size, every KV in order (type, and value; arrays longer than
32 elements as length + sha256 of their encoded elements + the first 8), every tensor (name,
ggml type name, ggml dims ne[0] first, sha256 of its data).

Array element encoding for the digest: numbers as their little-endian GGUF bytes; strings as
u64 LE length + UTF-8 bytes (as in GGUF). Uses the gguf-py vendored in the llama.cpp sdist.
"""
import hashlib
import json
import sys

import numpy as np
from gguf import GGUFReader, GGUFValueType


def scalar(field, idx):
    part = field.parts[idx]
    t = field.types[-1]
    if t == GGUFValueType.STRING:
        return bytes(part).decode("utf-8")
    v = part.tolist()[0]
    if t == GGUFValueType.BOOL:
        return bool(v)
    if t in (GGUFValueType.FLOAT32, GGUFValueType.FLOAT64):
        return float(v)
    return int(v)


def encoded(field, idx):
    part = field.parts[idx]
    if field.types[-1] == GGUFValueType.STRING:
        b = bytes(part)
        return len(b).to_bytes(8, "little") + b
    return np.asarray(part).astype(np.asarray(part).dtype.newbyteorder("<")).tobytes()


def dump(path):
    r = GGUFReader(path)
    kvs = []
    for key, field in r.fields.items():
        if key.startswith("GGUF."):
            continue
        types = [t.name for t in field.types]
        if field.types[0] == GGUFValueType.ARRAY:
            n = len(field.data)
            entry = {"key": key, "type": types, "len": n}
            if n <= 32:
                entry["value"] = [scalar(field, i) for i in field.data]
            else:
                h = hashlib.sha256()
                for i in field.data:
                    h.update(encoded(field, i))
                entry["sha256"] = h.hexdigest()
                entry["first"] = [scalar(field, i) for i in field.data[:8]]
        else:
            entry = {"key": key, "type": types, "value": scalar(field, field.data[0])}
        kvs.append(entry)
    tensors = []
    for t in r.tensors:
        tensors.append({
            "name": t.name, "type": t.tensor_type.name, "dims": [int(x) for x in t.shape],
            "sha256": hashlib.sha256(np.asarray(t.data).tobytes()).hexdigest(),
        })
    with open(path, "rb") as f:
        data = f.read()
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "kv": kvs,
            "tensors": tensors}


if __name__ == "__main__":
    json.dump(dump(sys.argv[1]), sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
