#!/usr/bin/env python3
"""Describe llama-quantize output files as the expectation of quant/tests/model_quantize.rs:

    {"name": CASE, "args": [...llama-quantize arguments...],
     "files": [{"file": NAME, "sha256": ..., "size": N, "kv_keys": [...],
                "tensors": ["name TYPE dims sha256[:16]", ...]}, ...]}

The whole-file sha256 is what the test checks; the keys and per-tensor lines only explain a
mismatch. Usage: dump_compact.py CASE ARGS_JSON FILE... > CASE.json (uses gguf-py).
"""
import hashlib
import json
import os
import sys

from gguf import GGUFReader


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def describe(path):
    r = GGUFReader(path)
    tensors = []
    for t in r.tensors:
        dims = "x".join(str(int(d)) for d in t.shape)
        digest = hashlib.sha256(bytes(t.data.view("u1"))).hexdigest()[:16]
        tensors.append(f"{t.name} {t.tensor_type.name} {dims} {digest}")
    return {
        "file": os.path.basename(path),
        "sha256": sha256(path),
        "size": os.path.getsize(path),
        "kv_keys": [k for k in r.fields if not k.startswith("GGUF.")],
        "tensors": tensors,
    }


case, args = sys.argv[1], json.loads(sys.argv[2])
out = {"name": case, "args": args, "files": [describe(p) for p in sys.argv[3:]]}
json.dump(out, sys.stdout, indent=0)
sys.stdout.write("\n")
