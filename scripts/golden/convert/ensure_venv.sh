#!/usr/bin/env bash
# Print the path of a Python with the reference converter's requirements and the directory of
# the llama-cpp-python 0.3.36 sdist's llama.cpp (convert_hf_to_gguf.py), creating them if needed:
#   line 1: <venv>/bin/python   (torch 2.11.0, transformers 4.57.6, numpy 2.2.6, sentencepiece,
#                                protobuf, tokenizers, safetensors, peft 0.21.2)
#   line 2: <sdist>/vendor/llama.cpp
# Both live under $GGUFPACK_CACHE/ref (default ~/.cache/ggufpack/ref). torch is a few GB.
set -euo pipefail
cache="${GGUFPACK_CACHE:-$HOME/.cache/ggufpack}"
ref="$cache/ref"
venv="$ref/convert-venv"
LCP_VERSION=0.3.36
src="$ref/llama_cpp_python-$LCP_VERSION/vendor/llama.cpp"
log() { echo "ensure_venv: $*" >&2; }
mkdir -p "$ref"
if [ ! -x "$venv/bin/python" ] || ! (cd / && "$venv/bin/python" -c "import torch, transformers, sentencepiece, peft") 2>/dev/null; then
  log "creating $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch==2.11.0 "numpy~=2.2.6" "sentencepiece>=0.1.98,<0.3.0" \
    transformers==4.57.6 "protobuf>=4.21.0,<5.0.0" tokenizers safetensors peft==0.21.2 >&2
fi
if [ ! -f "$src/convert_hf_to_gguf.py" ]; then
  log "fetching llama-cpp-python==$LCP_VERSION sdist"
  python3 -m pip download --no-deps --no-binary :all: -d "$ref" "llama-cpp-python==$LCP_VERSION" >&2
  tar -xzf "$ref/llama_cpp_python-$LCP_VERSION.tar.gz" -C "$ref"
fi
echo "$venv/bin/python"
echo "$src"
