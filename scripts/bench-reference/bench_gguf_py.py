#!/usr/bin/env python3
"""Time gguf-py's GGUFReader construction.

Usage: bench_gguf_py.py FILE.gguf ITERATIONS

Each iteration times `gguf.GGUFReader(path)` (which memory-maps the file
and builds all KV fields and tensor infos) with time.perf_counter; one
untimed warm-up construction runs first. Prints "<min_ms> <median_ms>".
"""

import gc
import statistics
import sys
import time

import gguf


def main():
    if len(sys.argv) != 3:
        print("usage: bench_gguf_py.py FILE.gguf ITERATIONS", file=sys.stderr)
        return 2
    path, iters = sys.argv[1], int(sys.argv[2])
    if iters <= 0:
        print("iterations must be > 0", file=sys.stderr)
        return 2
    r = gguf.GGUFReader(path)
    print("%s: n_kv=%d n_tensors=%d (gguf-py)" % (path, len(r.fields) - 3, len(r.tensors)), file=sys.stderr)
    del r
    times = []
    for _ in range(iters):
        gc.collect()
        t0 = time.perf_counter()
        r = gguf.GGUFReader(path)
        t1 = time.perf_counter()
        del r
        times.append((t1 - t0) * 1e3)
    print("%.3f %.3f" % (min(times), statistics.median(times)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
