#!/usr/bin/env python3
"""Dequantize every tensor of the two real test models with gguf-py's numpy dequantizers and
record the sha256 of each result (float32, little-endian), for quant/tests/real_tensors.rs.

Usage: scripts/golden/quant/gen_real_tensors.sh  (fetches the models, picks the pinned gguf-py)
Writes quant/tests/golden/real-tensors.json.
"""
import hashlib
import json
import os
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize


def main():
    out_path, *models = sys.argv[1:]
    files = []
    for path in models:
        reader = GGUFReader(path)
        tensors = []
        for t in reader.tensors:
            values = dequantize(t.data, t.tensor_type).astype("<f4", copy=False)
            tensors.append({
                "name": t.name,
                "type": t.tensor_type.name,
                "n_elements": int(t.n_elements),
                "sha256": hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest(),
            })
        files.append({"file": os.path.basename(path), "tensors": tensors})
        print(f"{path}: {len(tensors)} tensors", file=sys.stderr)
    import gguf
    from importlib.metadata import version
    doc = {"generator": f"gguf-py {version('gguf')} gguf.quants.dequantize", "files": files}
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
