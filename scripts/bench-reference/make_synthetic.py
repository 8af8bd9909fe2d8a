#!/usr/bin/env python3
"""Write the deterministic synthetic GGUF used by the parser benchmarks.

Usage: make_synthetic.py OUT.gguf

Written with gguf-py's GGUFWriter (pinned gguf==0.19.0), little-endian,
GGUF version 3, default alignment 32 (no general.alignment key). The Rust
bench generates byte-identical content with our own writer.

Exact content, in file order:

  KVs (5):
    general.architecture       STRING  "llama"
    tokenizer.ggml.model       STRING  "gpt2"
    tokenizer.ggml.tokens      ARRAY[STRING] x 150000: f"tok{i:06d}"  (i = 0..149999)
    tokenizer.ggml.token_type  ARRAY[INT32]  x 150000: 1
    tokenizer.ggml.merges      ARRAY[STRING] x 150000: f"t{i} o{i}"   (i = 0..149999)

  Tensors (300), for i = 0..299:
    name   f"blk.{i // 10}.t{i % 10}.weight"
    type   F32 (0)
    ne     [64, 4]            (numpy shape (4, 64))
    offset i * 1024           (1024 bytes each, already 32-aligned)
    data   all zero bytes

  The tensor data section starts at the end of the tensor infos padded with
  zero bytes to a multiple of 32; the file ends right after the last
  tensor's 1024 bytes.

With gguf==0.19.0 the result is 6701952 bytes, data section at offset
6394752, sha256 EXPECTED_SHA256 below (a mismatch is reported on stderr).
"""

import hashlib
import os
import sys

import numpy as np
import gguf

N_TOKENS = 150000
N_TENSORS = 300
EXPECTED_SIZE = 6701952
EXPECTED_SHA256 = "308a58ba1a6a3c86632ca4f601652f683eab925165c70a79a6e2a2f23b23642c"


def write(out):
    tmp = out + ".tmp.%d" % os.getpid()
    w = gguf.GGUFWriter(tmp, "llama")
    w.add_tokenizer_model("gpt2")
    w.add_token_list([f"tok{i:06d}" for i in range(N_TOKENS)])
    w.add_token_types([1] * N_TOKENS)
    w.add_token_merges([f"t{i} o{i}" for i in range(N_TOKENS)])
    zeros = np.zeros((4, 64), dtype=np.float32)
    for i in range(N_TENSORS):
        w.add_tensor(f"blk.{i // 10}.t{i % 10}.weight", zeros)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, out)


def main():
    if len(sys.argv) != 2:
        print("usage: make_synthetic.py OUT.gguf", file=sys.stderr)
        return 2
    out = sys.argv[1]
    write(out)
    with open(out, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    size = os.path.getsize(out)
    print("%s: %d bytes, sha256 %s" % (out, size, digest), file=sys.stderr)
    if size != EXPECTED_SIZE or digest != EXPECTED_SHA256:
        print("make_synthetic: WARNING: expected %d bytes sha256 %s (gguf-py version %s?)"
              % (EXPECTED_SIZE, EXPECTED_SHA256, getattr(gguf, "__version__", "?")), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
