#!/usr/bin/env python3
"""Extract convert_hf_to_gguf.py's BPE pre-tokenizer table as data for ggufpack-convert.

Usage: extract_pre_hashes.py LLAMA_CPP_DIR OUT_DIR

Reads LLAMA_CPP_DIR/conversion/base.py (the llama-cpp-python 0.3.36 sdist vendors it) with `ast`,
finds TextModel.get_vocab_base_pre and writes two data files into OUT_DIR:

  bpe_pre_hashes.tsv   one `sha256<TAB>name` line per `if chkhsh == "...": res = "..."` test, in
                       source order (a hash tested twice keeps its last name, as the chain of
                       independent `if`s does);
  bpe_pre_chktxt.json  the check text (`chktxt`) as one JSON string.

Only these values are copied; no code is.
"""

import ast
import json
import sys
from pathlib import Path


def main() -> None:
    src_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    tree = ast.parse((src_dir / "conversion" / "base.py").read_text(encoding="utf-8"))
    func = next(
        node for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "get_vocab_base_pre"
    )
    chktxt = None
    table: dict[str, str] = {}
    for stmt in func.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "chktxt" for t in stmt.targets
        ):
            chktxt = ast.literal_eval(stmt.value)
        if not isinstance(stmt, ast.If):
            continue
        test = stmt.test
        if not (
            isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "chkhsh" and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
        ):
            continue
        digest = ast.literal_eval(test.comparators[0])
        names = [
            ast.literal_eval(s.value) for s in stmt.body
            if isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "res" for t in s.targets)
        ]
        if len(names) != 1 or not isinstance(digest, str) or not isinstance(names[0], str):
            raise SystemExit(f"unexpected test for {digest!r}")
        table.pop(digest, None)  # the last test of a hash decides it
        table[digest] = names[0]
    if chktxt is None or not table:
        raise SystemExit("get_vocab_base_pre: no chktxt or no hashes found")
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "bpe_pre_hashes.tsv", "w", encoding="utf-8", newline="\n") as f:
        for digest, name in table.items():
            if "\t" in name or "\n" in name or len(digest) != 64:
                raise SystemExit(f"unexpected entry {digest!r} {name!r}")
            f.write(f"{digest}\t{name}\n")
    with open(out_dir / "bpe_pre_chktxt.json", "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(chktxt, ensure_ascii=True) + "\n")
    print(f"{len(table)} pre-tokenizer hashes", file=sys.stderr)


if __name__ == "__main__":
    main()
