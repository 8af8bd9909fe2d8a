#!/usr/bin/env bash
# Print the path of a python3 interpreter that imports gguf-py at the pinned
# version (gguf==0.19.0 from PyPI). Uses the current python3 if it already
# has exactly that version, else a venv at
# $GGUFPACK_CACHE/venv-gguf-<version> (created on first use), falling back
# to `pip install --user`. Logs go to stderr.
set -euo pipefail

GGUF_PY_VERSION=0.19.0
cache="${GGUFPACK_CACHE:-$HOME/.cache/ggufpack}"
mkdir -p "$cache"

has_pinned() {
  # Run from / so that a gguf/ directory in the caller's cwd (e.g. this
  # repo's crate) is not picked up as a namespace package named "gguf".
  (cd / && "$1" - "$GGUF_PY_VERSION") <<'PYEOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
import gguf, numpy  # noqa: F401
sys.exit(0 if version("gguf") == sys.argv[1] else 1)
PYEOF
}

PY="$(command -v python3)"
if has_pinned "$PY"; then
  echo "$PY"
  exit 0
fi

venv="$cache/venv-gguf-$GGUF_PY_VERSION"
if [ -x "$venv/bin/python" ] && has_pinned "$venv/bin/python"; then
  echo "$venv/bin/python"
  exit 0
fi

if python3 -m venv "$venv" >&2 2>/dev/null; then
  echo "ensure_gguf_py: installing gguf==$GGUF_PY_VERSION into $venv" >&2
  "$venv/bin/python" -m pip install -q "gguf==$GGUF_PY_VERSION" >&2
  PY="$venv/bin/python"
else
  echo "ensure_gguf_py: venv unavailable; pip install --user gguf==$GGUF_PY_VERSION" >&2
  rm -rf "$venv"
  python3 -m pip install -q --user "gguf==$GGUF_PY_VERSION" >&2
fi

if ! has_pinned "$PY"; then
  echo "ensure_gguf_py: could not make gguf==$GGUF_PY_VERSION importable" >&2
  exit 1
fi
echo "$PY"
