#!/usr/bin/env python3
"""Recover ggml's IQ lattice tables from ggml's own dequantizers.

ggufpack's `quant` crate needs the codebooks of the i-quants (iq2xxs_grid,
iq2xs_grid, iq2s_grid, iq3xxs_grid, iq3s_grid, iq1s_grid). Rather than copy
them out of ggml's source, this script *measures* them: it loads a built
`libggml-base.so`, takes each type's public `to_float`
(`ggml_get_type_traits(type)->to_float`) via ctypes, and dequantizes crafted
blocks in which

  * the block scale `d` (an f16) and the sub-block scale fields are chosen so
    that the multiplier applied to each grid value is exactly 1.0,
  * every sign bit is off (and, for IQ1, the delta is the known +1/8),
  * the grid-index fields enumerate 0, 1, 2, ... once each,

so the dequantized floats are the grid entries themselves (IQ1: entry + 1/8).
Each recovered value is checked to be an exact small integer before it is
stored. Cross-checks: IQ1_M's dequantizer must yield the same iq1s_grid as
IQ1_S's, and the iq2 sign table must follow its definition (7 sign bits plus
an even-parity bit), observed through IQ2_XXS blocks.

Output, in quant/src/formats/iq_grids/ (or --out):
  <table>.bin   the table as ggml lays it out in memory: entry after entry,
                each entry's bytes in element order (= the little-endian
                uint64/uint32 of ggml's source); iq1s_grid's bytes are int8.
  SHA256SUMS    sha256 of each .bin, `sha256sum -c` format.

Usage: gen_iq_grids.py [--lib path/to/libggml-base.so] [--out DIR]
Without --lib the library is looked for in the ggml builds under
$GGUFPACK_CACHE/ref (see scripts/bench-reference/build_ggml.sh and
scripts/golden/quant/build.sh); build one of those first if none exists.
Stdlib only. Nothing from llama.cpp is copied into this repository.
"""

import argparse
import ctypes as C
import glob
import hashlib
import os
import struct
import sys

# enum ggml_type values (ggml/include/ggml.h)
IQ2_XXS, IQ2_XS, IQ3_XXS, IQ1_S, IQ3_S, IQ2_S, IQ1_M = 16, 17, 18, 19, 21, 22, 29
QK_K = 256

F16_ONE = 0x3C00   # 1.0
F16_FOUR = 0x4400  # 4.0
F16_EIGHT = 0x4800  # 8.0

TO_FLOAT_T = C.CFUNCTYPE(None, C.c_void_p, C.c_void_p, C.c_int64)


class GgmlTypeTraits(C.Structure):
    """struct ggml_type_traits (ggml.h)."""
    _fields_ = [
        ("type_name", C.c_char_p),
        ("blck_size", C.c_int64),
        ("blck_size_interleave", C.c_int64),
        ("type_size", C.c_size_t),
        ("is_quantized", C.c_bool),
        ("to_float", C.c_void_p),
        ("from_float_ref", C.c_void_p),
    ]


def find_lib():
    cache = os.environ.get("GGUFPACK_CACHE", os.path.expanduser("~/.cache/ggufpack"))
    pats = [
        "ref/build-quant/generic/bin/libggml-base.so",
        "ref/build-ggml-*/bin/libggml-base.so",
        "ref/build-*/bin/libggml-base.so",
        "ref/build-quant/*/bin/libggml-base.so",
    ]
    for p in pats:
        hits = sorted(glob.glob(os.path.join(cache, p)))
        if hits:
            return hits[0]
    sys.exit("gen_iq_grids: no libggml-base.so under %s/ref; run "
             "scripts/bench-reference/build_ggml.sh first, or pass --lib" % cache)


class Ggml:
    def __init__(self, path):
        self.lib = C.CDLL(path)
        self.lib.ggml_get_type_traits.restype = C.POINTER(GgmlTypeTraits)
        self.lib.ggml_get_type_traits.argtypes = [C.c_int]

    def dequantize(self, ty, blocks):
        """ggml's to_float over the concatenated blocks; returns the floats."""
        t = self.lib.ggml_get_type_traits(ty).contents
        assert t.blck_size == QK_K, (ty, t.blck_size)
        assert len(blocks) % t.type_size == 0, (ty, len(blocks), t.type_size)
        n = len(blocks) // t.type_size * QK_K
        src = C.create_string_buffer(bytes(blocks), len(blocks))
        dst = (C.c_float * n)()
        TO_FLOAT_T(t.to_float)(src, dst, n)
        return list(dst)

    def type_size(self, ty):
        return self.lib.ggml_get_type_traits(ty).contents.type_size


def ints(values, what, lo, hi, offset=0.0):
    """Floats that must be exact integers in [lo, hi] after subtracting offset."""
    out = []
    for v in values:
        w = v - offset
        if w != int(w) or not lo <= w <= hi:
            sys.exit("gen_iq_grids: %s: unexpected dequantized value %r" % (what, v))
        out.append(int(w))
    return out


def f16(bits):
    return struct.pack("<H", bits)


def recover_iq2_xxs(g):
    # block_iq2_xxs: d, qs[32] u16 = per 32 values two u32: 4 grid indices (bytes),
    # then 4x7 sign bits + 4-bit scale s; multiplier d*(0.5+s)*0.25 = 1 with d=8, s=0.
    blocks = bytearray()
    for b in range(256 // 32):
        blocks += f16(F16_EIGHT)
        for ib32 in range(8):
            k = b * 32 + ib32 * 4
            blocks += bytes([k, k + 1, k + 2, k + 3]) + bytes(4)
    y = g.dequantize(IQ2_XXS, blocks)
    assert len(blocks) == 8 * g.type_size(IQ2_XXS)
    return bytes(ints(y, "iq2xxs_grid", 0, 255))


def recover_iq2_xs(g):
    # block_iq2_xs: d, qs[32] u16 = 9-bit index | 7 sign bits << 9, scales[8];
    # multiplier d*(0.5+s)*0.25 = 1 with d=8, s=0.
    blocks = bytearray()
    for b in range(512 // 32):
        blocks += f16(F16_EIGHT)
        blocks += b"".join(struct.pack("<H", b * 32 + k) for k in range(32))
        blocks += bytes(8)
    y = g.dequantize(IQ2_XS, blocks)
    return bytes(ints(y, "iq2xs_grid", 0, 255))


def recover_iq2_s(g):
    # block_iq2_s: d, qs[64] (32 low index bytes, then 32 sign bytes), qh[8]
    # (2 high index bits per index), scales[8]; multiplier 1 with d=8, s=0.
    blocks = bytearray()
    for b in range(1024 // 32):
        idx = [b * 32 + k for k in range(32)]
        qs = bytes(i & 0xFF for i in idx) + bytes(32)
        qh = bytes(sum(((idx[4 * ib + l] >> 8) & 3) << (2 * l) for l in range(4))
                   for ib in range(8))
        blocks += f16(F16_EIGHT) + qs + qh + bytes(8)
    y = g.dequantize(IQ2_S, blocks)
    return bytes(ints(y, "iq2s_grid", 0, 255))


def recover_iq3_xxs(g):
    # block_iq3_xxs: d, qs[96] = 64 index bytes (4 values each), then per 32 values
    # a u32 of 4x7 sign bits + 4-bit scale s; multiplier d*(0.5+s)*0.5 = 1 with d=4.
    blocks = bytearray()
    for b in range(256 // 64):
        blocks += f16(F16_FOUR) + bytes(range(b * 64, b * 64 + 64)) + bytes(32)
    y = g.dequantize(IQ3_XXS, blocks)
    return bytes(ints(y, "iq3xxs_grid", 0, 255))


def recover_iq3_s(g):
    # block_iq3_s: d, qs[64] (low index bytes), qh[8] (9th bit of index k of each
    # 32 values is bit k), signs[32], scales[4]; multiplier d*(1+2*s) = 1 with d=1.
    blocks = bytearray()
    for b in range(512 // 64):
        idx = [b * 64 + k for k in range(64)]
        qs = bytes(i & 0xFF for i in idx)
        qh = bytes(sum(((idx[8 * ib + k] >> 8) & 1) << k for k in range(8))
                   for ib in range(8))
        blocks += f16(F16_ONE) + qs + qh + bytes(32) + bytes(4)
    y = g.dequantize(IQ3_S, blocks)
    return bytes(ints(y, "iq3s_grid", 0, 255))


def recover_iq1_s(g):
    # block_iq1_s: d, qs[32] (low index bytes), qh[8] u16 = 4x3 high index bits,
    # 3-bit scale s (bits 12-14), delta sign (bit 15); value = d*(2s+1)*(grid+delta)
    # = grid + 1/8 with d=1, s=0, delta=+1/8.
    blocks = bytearray()
    for b in range(2048 // 32):
        idx = [b * 32 + k for k in range(32)]
        qs = bytes(i & 0xFF for i in idx)
        qh = b"".join(struct.pack("<H", sum((idx[4 * ib + l] >> 8) << (3 * l) for l in range(4)))
                      for ib in range(8))
        blocks += f16(F16_ONE) + qs + qh
    y = g.dequantize(IQ1_S, blocks)
    return bytes(v & 0xFF for v in ints(y, "iq1s_grid", -1, 1, offset=0.125))


def recover_iq1_m(g):
    # block_iq1_m: qs[32], qh[16] (per pair of indices: 3 high bits + delta sign
    # each nibble), scales[8] as 4 u16 whose top nibbles form the f16 d and whose
    # low 12 bits are 3-bit sub-scales. d = 1.0 (0x3C00: nibbles 0,0,C,3), scales 0.
    blocks = bytearray()
    sc = struct.pack("<4H", 0x0000, 0x0000, 0xC000, 0x3000)
    for b in range(2048 // 32):
        idx = [b * 32 + k for k in range(32)]
        qs = bytes(i & 0xFF for i in idx)
        qh = bytes((idx[2 * p] >> 8) | ((idx[2 * p + 1] >> 8) << 4) for p in range(16))
        blocks += qs + qh + sc
    y = g.dequantize(IQ1_M, blocks)
    return bytes(v & 0xFF for v in ints(y, "iq1s_grid (via IQ1_M)", -1, 1, offset=0.125))


def check_ksigns(g, iq2xxs_grid):
    """ksigns_iq2xs[i] must be i | parity(i) << 7 (bit j negates element j)."""
    nonzero = [k for k in range(256) if all(iq2xxs_grid[8 * k:8 * k + 8])]
    assert nonzero, "no iq2xxs grid entry without zeros"
    k = nonzero[0]
    blocks = bytearray()
    for b in range(128 // 32):
        blocks += f16(F16_EIGHT)
        for ib32 in range(8):
            s = [b * 32 + ib32 * 4 + l for l in range(4)]
            aux1 = sum(s[l] << (7 * l) for l in range(4))
            blocks += bytes([k] * 4) + struct.pack("<I", aux1)
    y = g.dequantize(IQ2_XXS, blocks)
    for i in range(128):
        got = sum(1 << j for j in range(8) if y[8 * i + j] < 0)
        want = i | ((bin(i).count("1") & 1) << 7)
        if got != want:
            sys.exit("gen_iq_grids: sign table entry %d is %d, not %d" % (i, got, want))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.join(here, "..", "..", "..", "quant", "src", "formats", "iq_grids")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lib", help="path of libggml-base.so")
    ap.add_argument("--out", default=default_out, help="output directory")
    args = ap.parse_args()
    lib = args.lib or find_lib()
    print("gen_iq_grids: using %s" % lib, file=sys.stderr)
    g = Ggml(lib)

    tables = {
        "iq2xxs_grid": (recover_iq2_xxs(g), 256, 8),
        "iq2xs_grid": (recover_iq2_xs(g), 512, 8),
        "iq2s_grid": (recover_iq2_s(g), 1024, 8),
        "iq3xxs_grid": (recover_iq3_xxs(g), 256, 4),
        "iq3s_grid": (recover_iq3_s(g), 512, 4),
        "iq1s_grid": (recover_iq1_s(g), 2048, 8),
    }
    for name, (data, n, w) in tables.items():
        assert len(data) == n * w, (name, len(data))
    if recover_iq1_m(g) != tables["iq1s_grid"][0]:
        sys.exit("gen_iq_grids: IQ1_M and IQ1_S disagree on iq1s_grid")
    check_ksigns(g, tables["iq2xxs_grid"][0])

    out = os.path.normpath(args.out)
    os.makedirs(out, exist_ok=True)
    sums = []
    for name, (data, n, w) in tables.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)
        digest = hashlib.sha256(data).hexdigest()
        sums.append("%s  %s.bin\n" % (digest, name))
        print("%-12s %5d entries x %d bytes  %s" % (name, n, w, digest))
    with open(os.path.join(out, "SHA256SUMS"), "w") as f:
        f.writelines(sums)


if __name__ == "__main__":
    main()
