#!/usr/bin/env python3
"""Extract gguf-py's tensor-name tables for the architectures ggufpack-convert supports into
convert/data/tensor_map.json (generated data; the Rust side rebuilds TensorNameMap from it).

Usage: PYTHONPATH=<sdist>/vendor/llama.cpp/gguf-py python3 tensor_map.py OUT.json

JSON shape:
  {"archs": {"llama": {"tensors": ["TOKEN_EMBD", ...]}, ...},   # MODEL_TENSORS[arch], in order
   "names": {"TOKEN_EMBD": "token_embd", "ATTN_Q": "blk.{bid}.attn_q", ...},
   "global": [["TOKEN_EMBD", ["model.embed_tokens", ...]], ...],   # mappings_cfg order
   "block": {"llama": [["ATTN_Q", ["model.layers.{bid}.self_attn.q_proj", ...]], ...]}}
                                          # block_mappings_cfg updated by the arch's overrides
"""
import copy
import json
import sys

import gguf
from gguf.tensor_mapping import TensorNameMap

ARCHS = ["LLAMA", "QWEN2", "QWEN3", "QWEN3MOE", "GEMMA2", "GEMMA3", "PHI3"]


def main():
    out = sys.argv[1]
    archs = {}
    used = set()
    block = {}
    for a in ARCHS:
        arch = gguf.MODEL_ARCH[a]
        tensors = [t.name for t in gguf.MODEL_TENSORS[arch]]
        used.update(tensors)
        archs[gguf.MODEL_ARCH_NAMES[arch]] = {"tensors": tensors}
        cfg = copy.copy(TensorNameMap.block_mappings_cfg)
        cfg.update(TensorNameMap.arch_block_mappings_cfg.get(arch, {}))
        block[gguf.MODEL_ARCH_NAMES[arch]] = [
            [t.name, list(keys)] for t, keys in cfg.items() if t.name in tensors
        ]
    glob = [[t.name, list(keys)] for t, keys in TensorNameMap.mappings_cfg.items() if t.name in used]
    names = {t.name: n for t, n in gguf.TENSOR_NAMES.items() if t.name in used}
    with open(out, "w") as f:
        json.dump({"archs": archs, "names": names, "global": glob, "block": block}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
