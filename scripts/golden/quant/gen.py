#!/usr/bin/env python3
"""Generate golden vectors for ggufpack's `quant` crate from ggml itself.

Run via scripts/golden/quant/gen.sh (which builds the libraries first).
Uses only the stdlib, ctypes and numpy. Calls into the ggml shared libraries
built by build.sh; no llama.cpp code lives in this repository.

Main process: loads the *native* build's libggml-base and, for every
(type, input, imatrix) combination, runs ggml_quantize_chunk, the type's
to_float and (for the no-imatrix case) the row-level from_float_ref, each
combination in a forked child so that a GGML_ASSERT/abort only loses that
one combination (it is then listed under "skipped").

Worker processes (`gen.py --worker LIBDIR`): load one build's ggml-base +
ggml-cpu, call ggml_cpu_init() and evaluate the CPU type traits' vec_dot on
(weight bytes, activation bytes) pairs. Run once per build variant
(generic / avx2 / native) so the three libggml-cpu.so never share a process.
"""

import argparse
import ctypes as C
import hashlib
import json
import os
import pickle
import struct
import subprocess
import sys
import time

import numpy as np

# ---------------------------------------------------------------- ggml ABI
# enum ggml_type (ggml/include/ggml.h, llama.cpp vendored by
# llama-cpp-python 0.3.36)
GGML_TYPE = {
    "F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q5_0": 6, "Q5_1": 7,
    "Q8_0": 8, "Q8_1": 9, "Q2_K": 10, "Q3_K": 11, "Q4_K": 12, "Q5_K": 13,
    "Q6_K": 14, "Q8_K": 15, "IQ2_XXS": 16, "IQ2_XS": 17, "IQ3_XXS": 18,
    "IQ1_S": 19, "IQ4_NL": 20, "IQ3_S": 21, "IQ2_S": 22, "IQ4_XS": 23,
    "I8": 24, "I16": 25, "I32": 26, "I64": 27, "F64": 28, "IQ1_M": 29,
    "BF16": 30, "TQ1_0": 34, "TQ2_0": 35, "MXFP4": 39, "NVFP4": 40,
    "Q1_0": 41, "Q2_0": 42,
}
TYPE_NAME = {v: k for k, v in GGML_TYPE.items()}

# Types to cover, in output order.
TYPES = [
    "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1",
    "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "TQ1_0", "TQ2_0",
    "IQ4_NL", "IQ4_XS", "MXFP4",
    # "dequantize-only" types for ggufpack (still quantized here by ggml)
    "IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S",
    "NVFP4", "Q1_0", "Q2_0",
]

# typedef void (*ggml_to_float_t)  (const void * x, float * y, int64_t k);
# typedef void (*ggml_from_float_t)(const float * x, void * y, int64_t k);
# typedef void (*ggml_vec_dot_t)(int n, float * s, size_t bs, const void * x,
#                                size_t bx, const void * y, size_t by, int nrc);
TO_FLOAT_T = C.CFUNCTYPE(None, C.c_void_p, C.c_void_p, C.c_int64)
FROM_FLOAT_T = C.CFUNCTYPE(None, C.c_void_p, C.c_void_p, C.c_int64)
VEC_DOT_T = C.CFUNCTYPE(None, C.c_int, C.c_void_p, C.c_size_t, C.c_void_p,
                        C.c_size_t, C.c_void_p, C.c_size_t, C.c_int)


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


class GgmlTypeTraitsCpu(C.Structure):
    """struct ggml_type_traits_cpu (ggml-cpu.h)."""
    _fields_ = [
        ("from_float", C.c_void_p),
        ("vec_dot", C.c_void_p),
        ("vec_dot_type", C.c_int),  # enum ggml_type
        ("nrows", C.c_int64),
    ]


def load_base(libdir):
    # RTLD_GLOBAL so that libggml-cpu's DT_NEEDED libggml-base resolves to
    # this very object.
    base = C.CDLL(os.path.join(libdir, "libggml-base.so"), mode=C.RTLD_GLOBAL)
    base.ggml_get_type_traits.restype = C.POINTER(GgmlTypeTraits)
    base.ggml_get_type_traits.argtypes = [C.c_int]
    base.ggml_quantize_chunk.restype = C.c_size_t
    base.ggml_quantize_chunk.argtypes = [C.c_int, C.c_void_p, C.c_void_p,
                                         C.c_int64, C.c_int64, C.c_int64,
                                         C.c_void_p]
    base.ggml_quantize_requires_imatrix.restype = C.c_bool
    base.ggml_quantize_requires_imatrix.argtypes = [C.c_int]
    base.ggml_quantize_init.restype = None
    base.ggml_quantize_init.argtypes = [C.c_int]
    base.ggml_row_size.restype = C.c_size_t
    base.ggml_row_size.argtypes = [C.c_int, C.c_int64]
    return base


def traits(base, t):
    return base.ggml_get_type_traits(t).contents


def sha(b):
    return hashlib.sha256(bytes(b)).hexdigest()


def ptr(a):
    return a.ctypes.data_as(C.c_void_p)


# ---------------------------------------------------------------- inputs
SEED_BASE = 20240601


def make_inputs():
    """Returns an ordered list of (name, array float32 2-D or 3-D, meta)."""
    out = []
    seed = [SEED_BASE]

    def rng():
        s = seed[0]
        seed[0] += 1
        return s, np.random.default_rng(s)

    def add(name, arr, s, desc):
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        out.append((name, arr, {"seed": s, "desc": desc}))

    for L in (256, 4096, 11008):
        rows = 3 if L == 4096 else 1
        s, g = rng()
        add(f"gauss_{L}", g.standard_normal((rows, L)), s, "N(0,1)")
        s, g = rng()
        add(f"uniform_{L}", g.uniform(-1.0, 1.0, (1, L)), s, "U(-1,1)")
        s, g = rng()
        add(f"heavy_{L}", g.standard_t(2, (1, L)), s, "standard_t(df=2)")
        s, g = rng()
        x = g.standard_normal((1, L))
        idx = g.choice(L, size=max(1, L // 100), replace=False)
        x[0, idx] *= 100.0
        add(f"outliers_{L}", x, s, "N(0,1), 1% of values (rng.choice) x100")
    L = 256
    add("zeros_256", np.zeros((1, L)), None, "all 0")
    add("equal_256", np.full((1, L), 0.37), None, "all 0.37 (as f32)")
    s, g = rng()
    add("tiny_256", g.standard_normal((1, L)) * 1e-30, s, "N(0,1)*1e-30 (f64, then f32)")
    s, g = rng()
    add("huge_256", g.standard_normal((1, L)) * 1e30, s, "N(0,1)*1e30 (f64, then f32)")
    s, g = rng()
    add("denormal_256", g.standard_normal((1, L)) * 1e-40, s,
        "N(0,1)*1e-40 (f64, then f32: subnormal)")
    s, g = rng()
    add("mixed_sign_small_256", g.standard_normal((1, L)) * 1e-3, s, "N(0,1)*1e-3")
    s, g = rng()
    add("experts", g.standard_normal((4, 2, 256)), s,
        "N(0,1), 4 experts x 2 rows x 256")
    for L in (256, 4096, 11008):
        s, g = rng()
        add(f"imatrix_{L}", (g.uniform(0.1, 10.0, L) ** 2).reshape(1, L), s,
            "uniform(0.1,10)**2 (f64, then f32)")
    s, g = rng()
    add("imatrix_experts", g.uniform(0.1, 10.0, (4, 256)) ** 2, s,
        "uniform(0.1,10)**2 (f64, then f32), 4 experts x 256")
    for L in (256, 4096, 11008):
        s, g = rng()
        add(f"act_{L}", g.standard_normal((1, L)), s, "N(0,1) activation for vec_dot")
    return out


WEIGHT_CASES = [
    "gauss_256", "uniform_256", "heavy_256", "outliers_256",
    "zeros_256", "equal_256", "tiny_256", "huge_256", "denormal_256",
    "mixed_sign_small_256",
    "gauss_4096", "uniform_4096", "heavy_4096", "outliers_4096",
    "gauss_11008", "uniform_11008", "heavy_11008", "outliers_11008",
]


# ---------------------------------------------------------------- forking
def in_child(fn):
    """Run fn() in a forked child; return (ok, value_or_error)."""
    import tempfile
    errf = tempfile.TemporaryFile()
    r, w = os.pipe()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.dup2(errf.fileno(), 2)
        try:
            res = (True, fn())
        except BaseException as e:  # noqa: BLE001
            res = (False, f"python exception: {e!r}")
        data = pickle.dumps(res)
        with os.fdopen(w, "wb") as f:
            f.write(data)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    errf.seek(0)
    err = errf.read().decode("utf-8", "replace")
    errf.close()
    if data:
        return pickle.loads(data)
    msg = next((l.split("ggml/src/", 1)[-1] for l in err.splitlines() if "GGML_ASSERT" in l
                or "GGML_ABORT" in l or "error" in l.lower()), err.strip()[-300:])
    if os.WIFSIGNALED(status):
        return False, f"ggml aborted (signal {os.WTERMSIG(status)}): {msg}"
    return False, f"child exited with status {os.WEXITSTATUS(status)}"


# Exported ggml-base functions used where the type traits have no pointer.
REF_FALLBACK = {"Q8_K": "quantize_row_q8_K_ref"}
TO_FLOAT_FALLBACK = {"Q8_K": "dequantize_row_q8_K"}


def from_float_ref_fn(base, t):
    tr = traits(base, t)
    if tr.from_float_ref:
        return FROM_FLOAT_T(tr.from_float_ref), "from_float_ref"
    name = REF_FALLBACK.get(TYPE_NAME[t])
    if name:
        return FROM_FLOAT_T(C.cast(getattr(base, name), C.c_void_p).value), \
            f"{name} (exported symbol; type traits from_float_ref is NULL)"
    return None, None


def to_float_fn(base, t):
    tr = traits(base, t)
    if tr.to_float:
        return TO_FLOAT_T(tr.to_float), "to_float"
    name = TO_FLOAT_FALLBACK.get(TYPE_NAME[t])
    if name:
        return TO_FLOAT_T(C.cast(getattr(base, name), C.c_void_p).value), \
            f"{name} (exported symbol; type traits to_float is NULL)"
    return None, None


POISON_BYTES = (0x00, 0xA5)
SP = None  # libstackpoison.so (stackpoison.c, built by build.sh)


def load_stackpoison(path):
    global SP
    SP = C.CDLL(path)
    SP.sp_from_float.restype = None
    SP.sp_from_float.argtypes = [C.c_void_p, C.c_void_p, C.c_void_p, C.c_int64, C.c_int]
    SP.sp_quantize_chunk.restype = C.c_size_t
    SP.sp_quantize_chunk.argtypes = [C.c_void_p, C.c_int, C.c_void_p, C.c_void_p, C.c_int64,
                                     C.c_int64, C.c_int64, C.c_void_p, C.c_int]


def quantize_job(base, t, x2d, imat):
    """x2d: (nrows, n_per_row) float32. Returns dict of bytes/arrays.

    Every ggml call runs twice, right after filling the stack below it with
    0x00 resp. 0xA5 (stackpoison.c); differing outputs mark a result that
    depends on uninitialised memory."""
    nrows, n = x2d.shape
    row_size = base.ggml_row_size(t, n)
    res = {"row_size": row_size}
    qchunk_ok = t not in (GGML_TYPE["Q8_1"], GGML_TYPE["Q8_K"])
    im_p = ptr(imat) if imat is not None else None
    qc = C.cast(base.ggml_quantize_chunk, C.c_void_p)

    if qchunk_ok:
        outs = []
        for pb in POISON_BYTES:
            dst = np.zeros(nrows * row_size, dtype=np.uint8)
            got = SP.sp_quantize_chunk(qc, t, ptr(x2d), ptr(dst), 0, nrows, n, im_p, pb)
            assert got == nrows * row_size, (got, nrows, row_size)
            outs.append(dst.tobytes())
        res["quant"] = outs[0]
        res["quant_deterministic"] = outs[0] == outs[1]
        res["quant_path"] = "ggml_quantize_chunk"
    ff, ff_path = from_float_ref_fn(base, t)
    if imat is None and ff is not None:
        res["ref_path"] = ff_path
        ffp = C.cast(ff, C.c_void_p)
        outs = []
        for pb in POISON_BYTES:
            dst = np.zeros(nrows * row_size, dtype=np.uint8)
            for r in range(nrows):
                xr = np.ascontiguousarray(x2d[r])
                dr = dst[r * row_size:(r + 1) * row_size]
                SP.sp_from_float(ffp, ptr(xr), ptr(dr), n, pb)
            outs.append(dst.tobytes())
        res["ref"] = outs[0]
        res["ref_deterministic"] = outs[0] == outs[1]
    if not qchunk_ok:
        if "ref" not in res:
            raise RuntimeError("neither quantize_chunk nor from_float_ref")
        res["quant"] = res["ref"]
        res["quant_deterministic"] = res["ref_deterministic"]
        res["quant_path"] = res["ref_path"] + "; ggml_quantize_chunk does not handle this type"
    tf, tf_path = to_float_fn(base, t)
    if tf is not None:
        res["to_float_path"] = tf_path
        q = np.frombuffer(res["quant"], dtype=np.uint8).copy()
        y = np.zeros(nrows * n, dtype=np.float32)
        tf(ptr(q), ptr(y), nrows * n)
        res["dequant"] = y.astype("<f4").tobytes()
    return res


# ---------------------------------------------------------------- worker
def worker(libdir, jobs_path, out_path):
    base = load_base(libdir)
    cpu = C.CDLL(os.path.join(libdir, "libggml-cpu.so"), mode=C.RTLD_GLOBAL)
    cpu.ggml_cpu_init.restype = None
    cpu.ggml_cpu_init()
    cpu.ggml_get_type_traits_cpu.restype = C.POINTER(GgmlTypeTraitsCpu)
    cpu.ggml_get_type_traits_cpu.argtypes = [C.c_int]
    with open(jobs_path, "rb") as f:
        jobs = pickle.load(f)
    out = {"vec_dot": {}, "from_float": {}, "traits": {}, "generic_sym": {}}
    for t in jobs["types"]:
        ct = cpu.ggml_get_type_traits_cpu(t).contents
        out["traits"][t] = {"vec_dot": bool(ct.vec_dot), "vec_dot_type": ct.vec_dot_type,
                            "nrows": ct.nrows, "from_float": bool(ct.from_float)}
    # vec_dot via the CPU type traits
    for key, (t, n, w, a) in jobs["vec_dot"].items():
        ct = cpu.ggml_get_type_traits_cpu(t).contents
        vd = VEC_DOT_T(ct.vec_dot)
        wb = np.frombuffer(w, dtype=np.uint8).copy()
        ab = np.frombuffer(a, dtype=np.uint8).copy()
        s = np.full(4, np.nan, dtype=np.float32)
        vd(n, ptr(s), 0, ptr(wb), 0, ptr(ab), 0, 1)
        out["vec_dot"][key] = int(s[:1].view("<u4")[0])
        # the exported plain-C *_generic kernel of this build, if any
        # (present in x86 builds, compiled with that build's -m flags)
        if t in jobs["generic_names"]:
            name = jobs["generic_names"][t] + "_generic"
            try:
                fn = getattr(cpu, name)
            except AttributeError:
                fn = None
            if fn is not None:
                g = VEC_DOT_T(C.cast(fn, C.c_void_p).value)
                s2 = np.full(4, np.nan, dtype=np.float32)
                g(n, ptr(s2), 0, ptr(wb), 0, ptr(ab), 0, 1)
                out["generic_sym"][key] = int(s2[:1].view("<u4")[0])
    # CPU from_float (the path llama.cpp uses for activations) vs ref
    for key, (t, x) in jobs["from_float"].items():
        ct = cpu.ggml_get_type_traits_cpu(t).contents
        if not ct.from_float:
            continue
        ff = FROM_FLOAT_T(ct.from_float)
        xa = np.frombuffer(x, dtype="<f4").copy()
        dst = np.zeros(base.ggml_row_size(t, xa.size), dtype=np.uint8)
        ff(ptr(xa), ptr(dst), xa.size)
        out["from_float"][key] = sha(dst.tobytes())
    with open(out_path, "wb") as f:
        pickle.dump(out, f)


# Names of the vec_dot kernels (to look up exported `<name>_generic`).
VEC_DOT_NAMES = {
    "Q1_0": "ggml_vec_dot_q1_0_q8_0", "Q2_0": "ggml_vec_dot_q2_0_q8_0",
    "Q4_0": "ggml_vec_dot_q4_0_q8_0", "Q4_1": "ggml_vec_dot_q4_1_q8_1",
    "Q5_0": "ggml_vec_dot_q5_0_q8_0", "Q5_1": "ggml_vec_dot_q5_1_q8_1",
    "Q8_0": "ggml_vec_dot_q8_0_q8_0", "MXFP4": "ggml_vec_dot_mxfp4_q8_0",
    "NVFP4": "ggml_vec_dot_nvfp4_q8_0", "TQ1_0": "ggml_vec_dot_tq1_0_q8_K",
    "TQ2_0": "ggml_vec_dot_tq2_0_q8_K", "Q2_K": "ggml_vec_dot_q2_K_q8_K",
    "Q3_K": "ggml_vec_dot_q3_K_q8_K", "Q4_K": "ggml_vec_dot_q4_K_q8_K",
    "Q5_K": "ggml_vec_dot_q5_K_q8_K", "Q6_K": "ggml_vec_dot_q6_K_q8_K",
    "IQ2_XXS": "ggml_vec_dot_iq2_xxs_q8_K", "IQ2_XS": "ggml_vec_dot_iq2_xs_q8_K",
    "IQ2_S": "ggml_vec_dot_iq2_s_q8_K", "IQ3_XXS": "ggml_vec_dot_iq3_xxs_q8_K",
    "IQ3_S": "ggml_vec_dot_iq3_s_q8_K", "IQ1_S": "ggml_vec_dot_iq1_s_q8_K",
    "IQ1_M": "ggml_vec_dot_iq1_m_q8_K", "IQ4_NL": "ggml_vec_dot_iq4_nl_q8_0",
    "IQ4_XS": "ggml_vec_dot_iq4_xs_q8_K",
}


def run_worker(libdir, jobs, tmpdir, tag):
    jp = os.path.join(tmpdir, f"jobs-{tag}.pkl")
    op = os.path.join(tmpdir, f"out-{tag}.pkl")
    with open(jp, "wb") as f:
        pickle.dump(jobs, f)
    subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", libdir,
                    jp, op], check=True)
    with open(op, "rb") as f:
        return pickle.load(f)


# ---------------------------------------------------------------- build facts
def _flags(cmd):
    import shlex
    toks = shlex.split(cmd)
    keep = [t for t in toks if t.startswith(("-m", "-f", "-O", "-std", "-D", "-U", "-g"))
            and not t.startswith("-DGGML_BUILD") and not t.startswith("-DGGML_SHARED")
            and not t.startswith("-DGGML_BACKEND_")]
    return keep


def _objdump_count(path, pattern):
    try:
        out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return sum(1 for line in out.splitlines() if pattern in line)


def build_facts(root):
    facts = {"cmake_common": [
        "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_SHARED_LIBS=ON",
        "-DLLAMA_CURL=OFF", "-DLLAMA_OPENSSL=OFF", "-DLLAMA_BUILD_TESTS=OFF",
        "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_TOOLS=OFF", "-DLLAMA_BUILD_SERVER=OFF",
        "-DLLAMA_BUILD_COMMON=OFF", "-DLLAMA_BUILD_APP=OFF", "-DGGML_CCACHE=OFF",
        "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"],
        "variants": {
            "native": {"cmake": []},
            "avx2": {"cmake": ["-DGGML_NATIVE=OFF"]},
            "generic": {"cmake": ["-DGGML_NATIVE=OFF", "-DCMAKE_SYSTEM_NAME=Linux",
                                  "-DCMAKE_SYSTEM_PROCESSOR=generic"]},
        }}
    try:
        facts["compiler"] = subprocess.run(["cc", "--version"], capture_output=True,
                                           text=True).stdout.splitlines()[0]
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo") as f:
            ci = f.read()
        model = next((l.split(":", 1)[1].strip() for l in ci.splitlines()
                      if l.startswith("model name")), None)
        flags = next((l.split(":", 1)[1].split() for l in ci.splitlines()
                      if l.startswith("flags")), [])
        facts["host_cpu"] = {"model": model, "simd_flags": sorted(
            f for f in flags if f.startswith(("avx", "fma", "f16c", "bmi", "sse4")))}
    except OSError:
        pass
    for v, vf in facts["variants"].items():
        d = os.path.join(root, v)
        with open(os.path.join(d, "compile_commands.json")) as f:
            cc = json.load(f)
        cpu_sources = []
        for e in cc:
            fn = e["file"]
            cmd = e.get("command") or " ".join(e.get("arguments", []))
            rel = fn.split("/ggml/src/", 1)[-1] if "/ggml/src/" in fn else fn
            if "CMakeFiles/ggml-cpu.dir" in (e.get("output", "") + cmd):
                cpu_sources.append(rel)
            if rel == "ggml-quants.c":
                vf["ggml-quants.c_flags"] = _flags(cmd)
                obj = os.path.join(e["directory"], e.get("output") or
                                   cmd.split(" -o ", 1)[1].split()[0])
                with open(obj, "rb") as f:
                    vf["ggml-quants.c.o_sha256"] = sha(f.read())
                vf["ggml-quants.c.o_fma_insns"] = _objdump_count(obj, "vfmadd")
            if rel in ("ggml-cpu/quants.c", "ggml-cpu/arch/x86/quants.c"):
                vf[rel + "_flags"] = _flags(cmd)
                if rel == "ggml-cpu/quants.c":
                    obj = os.path.join(e["directory"], e.get("output") or
                                       cmd.split(" -o ", 1)[1].split()[0])
                    vf["ggml-cpu/quants.c.o_fma_insns"] = _objdump_count(obj, "vfmadd")
        vf["ggml-cpu_arch_sources"] = sorted(s for s in cpu_sources if "/arch/" in s)
        lib = os.path.join(d, "bin", "libggml-cpu.so")
        syms = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True,
                              text=True, check=True).stdout.split()
        vf["libggml-cpu_exported_vec_dot_generic_symbols"] = sum(
            1 for s in syms if s.startswith("ggml_vec_dot_") and s.endswith("_generic"))
        vf["libggml-cpu_exported_vec_dot_symbols"] = sum(
            1 for s in syms if s.startswith("ggml_vec_dot_") and not s.endswith("_generic"))
    return facts


# ---------------------------------------------------------------- main
class Blob:
    """Append-only byte store with content de-duplication."""

    def __init__(self):
        self.parts = []
        self.size = 0
        self.index = {}

    def add(self, b):
        h = sha(b)
        key = (h, len(b))
        if key not in self.index:
            self.index[key] = self.size
            self.parts.append(b)
            self.size += len(b)
        return {"offset": self.index[key], "len": len(b), "sha256": h}


def finite_or_null(v):
    """Replaces NaN and infinities anywhere in a JSON-able value by None."""
    import math
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: finite_or_null(x) for k, x in v.items()}
    if isinstance(v, list):
        return [finite_or_null(x) for x in v]
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", nargs=3, metavar=("LIBDIR", "JOBS", "OUT"))
    ap.add_argument("--buildroot", help="build.sh's build root (<root>/{native,avx2,generic})")
    ap.add_argument("--out", help="output dir (quant/tests/golden)")
    ap.add_argument("--tmp", default=None)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    for v in ("native", "avx2", "generic"):
        setattr(args, v, os.path.join(args.buildroot, v, "bin"))
    build = build_facts(args.buildroot)

    t0 = time.time()
    os.environ["GGML_NO_BACKTRACE"] = "1"  # no gdb backtraces on GGML_ASSERT
    tmpdir = args.tmp or os.path.join(args.out, ".tmp")
    os.makedirs(tmpdir, exist_ok=True)
    base = load_base(args.native)
    load_stackpoison(os.path.join(args.buildroot, "libstackpoison.so"))
    for name in TYPES:
        base.ggml_quantize_init(GGML_TYPE[name])  # grids etc., once, before forking

    inputs = make_inputs()
    by_name = {n: a for n, a, _ in inputs}
    in_blob = bytearray()
    in_meta = []
    for name, arr, meta in inputs:
        off = len(in_blob)
        in_blob += arr.astype("<f4").tobytes()
        e = {"name": name, "offset": off, "len": arr.nbytes,
             "shape": list(arr.shape),
             "rows": int(np.prod(arr.shape[:-1])), "n_per_row": int(arr.shape[-1]),
             "sha256": sha(arr.astype("<f4").tobytes())}
        e.update(meta)
        in_meta.append(e)

    qblob = Blob()
    records = []
    skipped = []
    nondet = []
    requires_imatrix = {}
    type_info = {}

    def imatrix_for(case):
        L = by_name[case].shape[-1]
        return f"imatrix_{L}"

    # (record index) -> vec_dot job info
    vd_pending = []

    for tname in TYPES:
        t = GGML_TYPE[tname]
        tr = traits(base, t)
        req = bool(base.ggml_quantize_requires_imatrix(t))
        requires_imatrix[tname] = req
        type_info[tname] = {"type_id": t, "ggml_name": tr.type_name.decode(),
                            "blck_size": tr.blck_size, "type_size": tr.type_size,
                            "is_quantized": bool(tr.is_quantized),
                            "has_to_float": bool(tr.to_float),
                            "has_from_float_ref": bool(tr.from_float_ref),
                            "requires_imatrix": req}
        jobs = []
        for case in WEIGHT_CASES:
            for im in (None, imatrix_for(case)):
                jobs.append((case, None, im))
        for e in range(4):
            jobs.append(("experts", e, None))
            jobs.append(("experts", e, "imatrix_experts"))
        for case, expert, im in jobs:
            if case == "experts":
                x2d = np.ascontiguousarray(by_name["experts"][expert])
                imat = (np.ascontiguousarray(by_name["imatrix_experts"][expert])
                        if im else None)
            else:
                x2d = by_name[case]
                imat = np.ascontiguousarray(by_name[im][0]) if im else None
            desc = {"type": tname, "input": case, "imatrix": im}
            if expert is not None:
                desc["expert"] = expert
            if req and im is None:
                skipped.append(dict(desc, reason="ggml_quantize_requires_imatrix"))
                continue
            if tname in ("Q8_1", "Q8_K") and im is not None:
                skipped.append(dict(desc, reason="ggml_quantize_chunk does not support this "
                                    "type (no imatrix path); only from_float_ref recorded"))
                continue
            ok, res = in_child(lambda: quantize_job(base, t, x2d, imat))
            if not ok:
                skipped.append(dict(desc, reason=res))
                print(f"skip {tname} {case} {expert} {im}: {res}", file=sys.stderr)
                continue
            rec = {"type": tname, "type_id": t, "input": case}
            if expert is not None:
                rec["expert"] = expert
                rec["rows"] = 2
                rec["n_per_row"] = 256
                rec["imatrix"] = im
                if im:
                    rec["imatrix_row"] = expert
            else:
                rec["rows"] = x2d.shape[0]
                rec["n_per_row"] = x2d.shape[1]
                rec["imatrix"] = im
            rec["row_size"] = res["row_size"]
            rec["quant_path"] = res["quant_path"]
            rec["quant"] = qblob.add(res["quant"])
            if not res["quant_deterministic"]:
                rec["quant_nondeterministic"] = True
                nondet.append(dict(desc, path="quant"))
            if res.get("ref_path", "from_float_ref") != "from_float_ref":
                rec["ref_path"] = res["ref_path"]
            if res.get("to_float_path", "to_float") != "to_float":
                rec["to_float_path"] = res["to_float_path"]
            if "ref" in res and not res["ref_deterministic"]:
                # output depends on stale stack memory: no golden value
                rec["ref_row_sha256"] = None
                rec["ref_nondeterministic"] = True
                rec["ref_equals_quant"] = False
                nondet.append(dict(desc, path="ref"))
            elif "ref" in res:
                rec["ref_row_sha256"] = sha(res["ref"])
                rec["ref_equals_quant"] = res["ref"] == res["quant"]
            else:
                rec["ref_row_sha256"] = None
            if "dequant" in res:
                y = np.frombuffer(res["dequant"], dtype="<f4")
                rec["dequant_sha256"] = sha(res["dequant"])
                rec["dequant_nan"] = int(np.isnan(y).sum())
                rec["dequant_inf"] = int(np.isinf(y).sum())
            else:
                rec["dequant_sha256"] = None
                rec["dequant_nan"] = None
            rec["vec_dot"] = None
            if rec["rows"] == 1 and expert is None:
                vd_pending.append((len(records), t, res["quant"]))
            records.append(rec)
        print(f"{tname}: done ({time.time() - t0:.1f}s)", file=sys.stderr)

    # ------------------------------------------------ vec_dot
    # activation quantization: from_float_ref of vec_dot_type (ggml-base)
    gen_probe = run_worker(args.generic, {"types": [GGML_TYPE[n] for n in TYPES],
                                          "vec_dot": {}, "from_float": {},
                                          "generic_names": {}}, tmpdir, "probe")
    cpu_traits = gen_probe["traits"]
    for tname in TYPES:
        ct = cpu_traits[GGML_TYPE[tname]]
        type_info[tname]["cpu_vec_dot"] = ct["vec_dot"]
        type_info[tname]["cpu_vec_dot_type"] = TYPE_NAME.get(ct["vec_dot_type"]) if ct["vec_dot"] else None
    act_cache = {}
    acts_meta = {}
    vd_jobs = {}
    for idx, t, wbytes in vd_pending:
        ct = cpu_traits[t]
        if not ct["vec_dot"]:
            continue
        L = records[idx]["n_per_row"]
        vt = ct["vec_dot_type"]
        k = (vt, L)
        if k not in act_cache:
            x = np.ascontiguousarray(by_name[f"act_{L}"][0])
            dst = np.zeros(base.ggml_row_size(vt, L), dtype=np.uint8)
            from_float_ref_fn(base, vt)[0](ptr(x), ptr(dst), L)
            act_cache[k] = dst.tobytes()
            acts_meta[k] = qblob.add(act_cache[k])
        vd_jobs[idx] = (t, L, wbytes, act_cache[k])
    generic_names = {GGML_TYPE[n]: v for n, v in VEC_DOT_NAMES.items()}
    jobs = {"types": [GGML_TYPE[n] for n in TYPES], "vec_dot": vd_jobs,
            "from_float": {f"{vt}_{L}": (vt, np.ascontiguousarray(by_name[f"act_{L}"][0]).astype("<f4").tobytes())
                           for (vt, L) in act_cache},
            "generic_names": generic_names}
    results = {}
    for tag, libdir in (("generic", args.generic), ("avx2", args.avx2), ("native", args.native)):
        results[tag] = run_worker(libdir, jobs, tmpdir, tag)
        print(f"vec_dot worker {tag}: done ({time.time() - t0:.1f}s)", file=sys.stderr)

    def f32(bits):
        return struct.unpack("<f", struct.pack("<I", bits))[0]

    vd_stats = {"n": 0, "generic_eq_avx2": 0, "generic_eq_native": 0,
                "avx2_generic_symbol_eq_generic": 0, "avx2_generic_symbol_n": 0,
                "native_generic_symbol_eq_generic": 0, "native_generic_symbol_n": 0}
    for idx, (t, L, _, _) in vd_jobs.items():
        vt = cpu_traits[t]["vec_dot_type"]
        g = results["generic"]["vec_dot"][idx]
        a = results["avx2"]["vec_dot"][idx]
        nv = results["native"]["vec_dot"][idx]
        vd = {"act": f"act_{L}", "vec_dot_type": TYPE_NAME[vt],
              "act_quant": acts_meta[(vt, L)], "act_sha256": acts_meta[(vt, L)]["sha256"],
              "generic_bits": g, "generic_f32": f32(g),
              "avx2_bits": a, "native_bits": nv}
        for tag in ("avx2", "native"):
            gs = results[tag]["generic_sym"].get(idx)
            if gs is not None:
                vd[f"{tag}_generic_symbol_bits"] = gs
                vd_stats[f"{tag}_generic_symbol_n"] += 1
                vd_stats[f"{tag}_generic_symbol_eq_generic"] += int(gs == g)
        vd_stats["n"] += 1
        vd_stats["generic_eq_avx2"] += int(g == a)
        vd_stats["generic_eq_native"] += int(g == nv)
        records[idx]["vec_dot"] = vd

    cpu_from_float = {}
    for (vt, L), m in acts_meta.items():
        key = f"{vt}_{L}"
        cpu_from_float[f"{TYPE_NAME[vt]}_act_{L}"] = {
            tag: (results[tag]["from_float"].get(key) == m["sha256"])
            for tag in ("generic", "avx2", "native")}

    # ------------------------------------------------ summaries
    imatrix_ignored = {}
    for tname in TYPES:
        pairs = {}
        for r in records:
            if r["type"] != tname:
                continue
            k = (r["input"], r.get("expert"))
            pairs.setdefault(k, {})[bool(r["imatrix"])] = r["quant"]["sha256"]
        both = [p for p in pairs.values() if True in p and False in p]
        if both:
            imatrix_ignored[tname] = all(p[True] == p[False] for p in both)
    ref_diff = sorted({(r["type"], r["input"]) for r in records
                       if r.get("ref_equals_quant") is False})
    ref_diff_types = sorted({t for t, _ in ref_diff})

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "inputs.bin"), "wb") as f:
        f.write(bytes(in_blob))
    qbytes = b"".join(qblob.parts)
    with open(os.path.join(args.out, "quantized.bin"), "wb") as f:
        f.write(qbytes)
    manifest = {
        "generator": "scripts/golden/quant/gen.sh (gen.py, ctypes against ggml shared libs)",
        "llama_cpp_python": "0.3.36",
        "build": build,
        "conventions": {
            "inputs.bin": "concatenated little-endian f32 arrays, row-major; see inputs[]",
            "quantized.bin": "concatenated quantized byte strings (content-deduplicated: "
                             "identical outputs share one offset); see records[].quant and "
                             "records[].vec_dot.act_quant",
            "quant": "ggml_quantize_chunk(type, src, dst, 0, rows, n_per_row, imatrix) of the "
                     "whole input (experts: per expert, 2 rows, imatrix row = expert)",
            "ref_row_sha256": "sha256 of from_float_ref (quantize_row_*_ref) applied row by row, "
                              "no imatrix; null where the type has no from_float_ref or the "
                              "record uses an imatrix",
            "dequant_sha256": "sha256 of to_float(quant bytes) as little-endian f32; null where "
                              "the type has no to_float",
            "vec_dot": "CPU traits vec_dot(n, &s, 0, weight=quant bytes, 0, act_quant bytes, 0, 1); "
                       "act_quant = ggml_get_type_traits(vec_dot_type)->from_float_ref(act_L). "
                       "generic_bits: GGML_CPU_GENERIC build (plain C *_generic kernels); "
                       "avx2_bits: GGML_NATIVE=OFF x86 build (-msse4.2 -mf16c -mfma -mbmi2 -mavx -mavx2); "
                       "native_bits: GGML_NATIVE=ON build (-march=native on the generating host, "
                       "see build.host_cpu); *_generic_symbol_bits: the exported "
                       "<kernel>_generic function of that x86 build (same C source as generic, "
                       "compiled with that build's -m flags)",
        },
        "types": type_info,
        "files": {
            "inputs.bin": {"sha256": sha(in_blob), "size": len(in_blob)},
            "quantized.bin": {"sha256": sha(qbytes), "size": len(qbytes)},
        },
        "inputs": in_meta,
        "records": records,
        "skipped": skipped,
        "summary": {
            "requires_imatrix": [k for k, v in requires_imatrix.items() if v],
            "imatrix_ignored": sorted(k for k, v in imatrix_ignored.items() if v),
            "imatrix_used": sorted(k for k, v in imatrix_ignored.items() if not v),
            "ref_differs_from_quantize_chunk": [list(x) for x in ref_diff],
            "ref_differs_types": ref_diff_types,
            "nondeterministic": nondet,
            "vec_dot": vd_stats,
            "cpu_from_float_equals_ref": cpu_from_float,
            "cpu_traits": {TYPE_NAME[t]: {**v, "vec_dot_type": TYPE_NAME.get(v["vec_dot_type"], v["vec_dot_type"])}
                           for t, v in cpu_traits.items()},
            "generation_seconds": round(time.time() - t0, 1),
        },
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        # Strict JSON: non-finite floats (informational *_f32 fields) become null; their exact
        # bits are in the *_bits fields.
        json.dump(finite_or_null(manifest), f, indent=1, allow_nan=False)
        f.write("\n")
    for tag in ("probe", "generic", "avx2", "native"):
        for p in (f"jobs-{tag}.pkl", f"out-{tag}.pkl"):
            try:
                os.remove(os.path.join(tmpdir, p))
            except FileNotFoundError:
                pass
    try:
        os.rmdir(tmpdir)
    except OSError:
        pass
    print(json.dumps(manifest["summary"], indent=1), file=sys.stderr)
    print(f"records={len(records)} skipped={len(skipped)} inputs.bin={len(in_blob)} "
          f"quantized.bin={len(qbytes)} ({time.time() - t0:.1f}s)", file=sys.stderr)


if __name__ == "__main__":
    main()
