#!/usr/bin/env python3
"""Expected `general.*` metadata for ggufpack-convert's `card` module, from gguf-py itself.

Usage: PYTHONPATH=<sdist>/vendor/llama.cpp/gguf-py python3 card_cases.py OUT.json
(gguf-py needs only numpy and pyyaml; the sdist is the llama-cpp-python 0.3.36 one gen.sh fetches.)

Writes convert/tests/golden/card_cases.json with every case's inputs and gguf-py's answers:
  size_labels   gguf.size_label(total, shared, expert, expert_count)
  model_ids     Metadata.get_model_id_components(id, total_params)
  titles        Metadata.id_to_title(s)
  naming        gguf.naming_convention(...)
  templates     gguf.fill_templated_filename(template, output_type)   (null: raises)
  param_counts  GGUFWriter.get_total_parameter_count() after add_tensor_info of each tensor
  yaml          Metadata.load_model_card on a README.md, as tagged Python values
  dirs          model directories (files, options, tensors) -> Metadata.load + the fallbacks of
                ModelBase.prepare_metadata + set_gguf_meta_model: the KV list in order with GGUF
                types (float32 as IEEE bits), or the error raised when loading or packing; and the
                default file names of TextModel.prepare_metadata (and MmprojModel's, F16).
The Rust test rebuilds each directory from the recorded files and compares; it needs no Python.
"""
import json
import random
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np
import gguf
from gguf.metadata import Metadata
from gguf.constants import GGUFValueType


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def tag(v):
    """A Python value as JSON that keeps its type."""
    if v is None:
        return {"None": None}
    if isinstance(v, bool):
        return {"bool": v}
    if isinstance(v, int):
        return {"int": str(v)}
    if isinstance(v, float):
        return {"float": str(struct.unpack("<Q", struct.pack("<d", v))[0])}
    if isinstance(v, str):
        return {"str": v}
    if isinstance(v, list):
        return {"list": [tag(x) for x in v]}
    if isinstance(v, dict):
        return {"dict": [[tag(k), tag(x)] for k, x in v.items()]}
    return {"other": type(v).__name__}


def encode_array(val):
    if isinstance(val, (bytes, bytearray)):
        raise ValueError("bytes array")
    t = GGUFValueType.get_type(val[0])
    if t == GGUFValueType.STRING:
        return {"type": "string", "values": list(val)}
    if t == GGUFValueType.INT32:
        return {"type": "int32", "values": list(val)}
    if t == GGUFValueType.FLOAT32:
        return {"type": "float32", "values": [f32_bits(x) for x in val]}
    if t == GGUFValueType.BOOL:
        return {"type": "bool", "values": list(val)}
    if t == GGUFValueType.ARRAY:
        return {"type": "array", "values": [encode_array(x) for x in val]}
    raise ValueError(t)


def encode_kv(writer):
    out = []
    for key, v in writer.kv_data[0].items():
        if key == "general.architecture":
            continue
        # Packing is where gguf-py fails on values of the wrong type.
        writer._pack_val(v.value, v.type, add_vtype=True, sub_type=v.sub_type)
        t = v.type
        if t == GGUFValueType.STRING:
            out.append([key, "string", v.value])
        elif t == GGUFValueType.UINT32:
            out.append([key, "uint32", v.value])
        elif t == GGUFValueType.INT32:
            out.append([key, "int32", int(v.value)])
        elif t == GGUFValueType.FLOAT32:
            out.append([key, "float32", f32_bits(v.value)])
        elif t == GGUFValueType.ARRAY:
            val = v.value
            if isinstance(val, str):
                val = list(val)
            out.append([key, "array", encode_array(val)])
        else:
            raise ValueError(f"unexpected type {t}")
    return out


def counts_of(tensors):
    w = gguf.GGUFWriter(None, "llama")
    for name, shape in tensors:
        w.add_tensor_info(name, shape, np.dtype(np.float32), 0)
    return list(w.get_total_parameter_count())


# --------------------------------------------------------------------------------------------
# Unit cases

def size_label_cases():
    rng = random.Random(1234)
    cases = [
        [0, 0, 0, 0], [1, 1, 0, 0], [999, 999, 0, 0], [1000, 1000, 0, 0], [999_499, 0, 0, 0],
        [999_500, 0, 0, 0], [1_000_000, 0, 0, 0], [1_000_001, 0, 0, 0], [9_950_000, 0, 0, 0],
        [21_000_000, 0, 0, 0], [99_500_000, 0, 0, 0], [134_515_008, 0, 0, 0],
        [999_999_999, 0, 0, 0], [1_000_000_000, 0, 0, 0], [1_235_814_400, 0, 0, 0],
        [8_030_261_248, 0, 0, 0], [70_553_706_496, 0, 0, 0], [405_000_000_000, 0, 0, 0],
        [1_000_000_000_000, 0, 0, 0], [1_000_000_000_001, 0, 0, 0], [671_000_000_000_000, 0, 0, 0],
        [-42_000_000, 0, 0, 0], [-1_500, 0, 0, 0], [46_702_792_704, 1_600_000_000, 5_600_000_000, 8],
        [30_000_000_000, 1_000_000_000, 2_000_000_000, 128], [1_000, 500, 50, 3],
        [2_500, 0, 0, 0], [3_500, 0, 0, 0], [2_450_000, 0, 0, 0], [9_999_999_999, 0, 0, 0],
    ]
    for _ in range(300):
        exp = rng.randint(0, 15)
        n = rng.randint(0, 10 ** exp)
        cases.append([n, n, 0, 0])
    for _ in range(50):
        shared = rng.randint(0, 10 ** rng.randint(3, 11))
        expert = rng.randint(1, 10 ** rng.randint(3, 11))
        cases.append([shared + expert * 8, shared, expert, rng.randint(1, 256)])
    return [{"args": c, "label": gguf.size_label(*c)} for c in cases]


MODEL_IDS = [
    "meta-llama/Meta-Llama-3.1-8B-Instruct", "meta-llama/Llama-2-7b-hf", "meta-llama/Llama-3.2-1B",
    "mistralai/Mistral-7B-Instruct-v0.3", "mistralai/Mixtral-8x22B-v0.1",
    "mistralai/Mixtral-8x7B-Instruct-v0.1", "Qwen/Qwen3-30B-A3B", "Qwen/Qwen2.5-Coder-32B-Instruct",
    "Qwen/Qwen2.5-7B-Instruct-1M", "Qwen/Qwen2-VL-7B-Instruct", "google/gemma-2-9b-it",
    "google/gemma-3-270m", "microsoft/Phi-3-mini-4k-instruct", "microsoft/phi-2",
    "microsoft/Phi-3.5-MoE-instruct", "tiiuae/falcon-40b", "bigscience/bloom-560m",
    "bigscience/bloomz-7b1-mt", "bigscience/bloom-7b1", "EleutherAI/pythia-1.4b-deduped",
    "EleutherAI/gpt-neox-20b", "TheBloke/Llama-2-7B-Chat-GGUF", "deepseek-ai/DeepSeek-V3",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "01-ai/Yi-1.5-34B-Chat-16K",
    "openai-community/gpt2-xl", "google-t5/t5-small", "bert-base-uncased",
    "stabilityai/stablelm-2-1_6b", "allenai/OLMo-2-1124-7B-Instruct",
    "ibm-granite/granite-3.0-8b-instruct", "nvidia/Llama-3.1-Nemotron-70B-Instruct-HF",
    "HuggingFaceTB/SmolLM2-135M-Instruct", "HuggingFaceTB/SmolLM2-1.7B-Instruct",
    "llava-hf/llava-1.5-7b-hf", "unsloth/Llama-3.2-1B-Instruct-bnb-4bit",
    "openai/gpt-oss-20b", "moonshotai/Kimi-K2-Instruct", "zai-org/GLM-4.5-Air",
    "./local-model", "../x/y", "a/b/c", "/abs", "", "-", "--x--", "org/", "model-Q4_K_M",
    "model-IQ2_XS", "model-q8_0", "model-f16", "model-BF16", "model-fp32", "7B", "x-7B-7B",
    "x-small-7B", "x-small", "x-XXL", "x-mini-instruct", "x-iter12-v3", "x-v1-v2", "v2-x",
    "1-2-3", "Some Model Name", "org/Some Model", "x-A3B", "x-1.5k", "x-100T", "x-3M", "x-lora",
    "x-LoRA-7B", "lora-7b", "x-\u0667b", "x-7\u212a", "x-\u017fmall", "x-\u0130nstruct",
    "x-ITER2", "x-Iq4_nl", "x-q4_\u00e9", "mod\u00e8le-\u00fcn\u00ef-7b-chat", "\u03bb\u03cc\u03b3\u03bf\u03c2-2b",
    "x-7b1-1_5b", "x-7.5b1", "x-1_000B", "x-7b-v1.0-rc1", "x-chat-v1.1-7B-Q4_0",
    "Phi-3-mini-128k-instruct", "_model-7b", "model-_7b", "model-7b_",
]

TOTALS = [0, 7_000_000_000, 1_200_000_000, -50_000_000, 135_000_000, 30_000_000_000]


def model_id_cases():
    out = []
    for mid in MODEL_IDS:
        for total in TOTALS:
            out.append({"id": mid, "total": total,
                        "out": list(Metadata.get_model_id_components(mid, total))})
    return out


TITLES = ["meta-llama", "SmolLM2-135M-instruct", "llama2b-v0.1-7b", "  ", "", "a  b\tc",
          "hello-world-v2", "v2x-1abc", "stra\u00dfe", "\u00dfx", "\u01c6ango", "\u1f80x",
          "gpt-neox", "Qwen", "qwen2.5-coder", "x\u1c1cy", "\u0667abc", "\u0131i",
          "caf\u00e9-au-lait", "ABC-def", "ﬁne-tune", "ŉx"]


def naming_cases():
    args = [
        ["Llama 3/x", None, "Instruct", "v0.1", "8B", "q8_0", None],
        [None, "b", None, None, None, None, "vocab"],
        [None, None, None, None, None, "f16", "LoRA"],
        [" My Model ", None, " fine tune ", " v 1 ", "8x7B", " bf16 ", None],
        ["a/b", "c/d e", None, None, None, None, None],
        ["x", None, None, None, None, "", None],
    ]
    return [{"args": a, "out": gguf.naming_convention(*a)} for a in args]


TEMPLATES = ["m-{ftype}.gguf", "m-{FTYPE}-{outtype}-{OUTTYPE}.gguf", "m-{}.gguf", "m-{0}-{0}.gguf",
             "{{x}}.gguf", "{ftype!r}", "{ftype:>6}|{ftype:.2}|{FTYPE:*^9}", "{}-{}", "{name}",
             "a}b", "a{b", "plain.gguf", "{0}-{}", "{ftype!x}", "{ftype:d}", "{:<3}"]


def template_cases():
    out = []
    for t in TEMPLATES:
        for ty in ["Q8_0", "f16", None]:
            try:
                r = gguf.fill_templated_filename(t, ty)
            except Exception:
                r = None
            out.append({"template": t, "type": ty, "out": r})
    return out


PARAM_TENSORS = [
    [["token_embd.weight", [100, 16]], ["blk.0.ffn_up_exps.weight", [4, 32, 16]],
     ["blk.0.ffn_up_exps.bias", [4, 32]], ["blk.0.ffn_gate_exps.bias", [2, 4, 32]],
     ["output_norm.weight", [16]], ["scalar", []]],
    [["blk.0.attn_q.weight.lora_a", [8, 64]], ["blk.0.attn_q.weight.lora_b", [64, 8]],
     ["blk.0.attn_k.weight.lora_a", [8, 64]], ["blk.0.attn_k.weight.lora_b", [16, 8]]],
    [["x.lora_b", [64, 8]], ["y.weight", [3]]],
    [["a.lora_a", [8, 64]], ["b.lora_b", [64, 8]]],
    [["blk.0.ffn_down_exps.weight", [8, 16, 32]], ["blk.1.ffn_down_exps.weight", [6, 16, 32]],
     ["blk.1.ffn_down_shexp.weight", [16, 32]]],
    [],
]


def param_count_cases():
    return [{"tensors": t, "counts": counts_of(t)} for t in PARAM_TENSORS]


COMPLEX_README = """---
license: other
license_name: example-community-license
license_link: LICENSE
language:
- en
- no
- he
thumbnail: https://example.com/avatar.png?size=64&v=2

inference: false
extra_gated_prompt: >-
  You agree to the terms: no harmful use, attribution required.
  A second folded line with a colon: here.
extra_gated_fields:
  Full name: text
  Type of affiliation:
    type: select
    options:
    - Academia
    - label: Other
      value: other
  I agree to all terms (really): checkbox
extra_gated_button_content: Submit   # trailing comment
widget:
- text: >-
    Multi-line widget text that
    folds into one line.
  example_title: "Folded 🤗"
- text: "<|startoftext|>\u05e9\u05dc\u05d5\u05dd"
- text: 'single ''quoted'' text'
model-index:
- name: example-7b-chat
  results:
  - task:
      type: text-generation
      name: Text Generation
    dataset:
      name: AI2 Reasoning Challenge (25-Shot)
      type: ai2_arc
      config: ARC-Challenge
      split: test
      args:
        num_few_shot: 25
    metrics:
    - type: acc_norm
      value: 61.43
      name: normalized accuracy
    source:
      url: https://huggingface.co/spaces/x/leaderboard?query=a/b
      name: Open LLM Leaderboard
co2_eq_emissions:
  emissions: 3.5e+2
  source: estimate
  training_type: fine-tuning
  geographical_location: "US-East"
tags: [text-generation, 'chat', "llama-2", 2023]
base_model: [meta-llama/Llama-2-7b-hf, "https://huggingface.co/org/Other-Model-13B-v1.1"]
datasets: {}
empty_map: {}
nulls: [~, null, ]
---
# Example
"""

YAML_READMES = [
    COMPLEX_README,
    "---\na: yes\nb: no\nc: on\nd: 1e5\ne: 1.0e+5\nf: 0x1F\ng: 017\nh: 1:30\ni: ~\nj:\nk: 2024-01-02\n"
    "l: .inf\nm: 1_000\nn: '1'\no: 09\np: 1.5\nq: -.5\nr: 190:20:30.15\ns: 0b101\nt: +12\nu: .NaN\n"
    "v: 2001-12-14t21:59:43.10-05:00\nw: 2001-12-14 21:59:43.10\nx: NULL\ny: Off\nz: 1.\n---\nbody\n",
    "---\nlist:\n- no\n- yes\n- 'no'\n---\n",
    "---\nbase: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\nd:\n  <<: [*b, {x: 9, z: 8}]\n---\n",
    "---\n- a\n- b\n---\n",
    "---\n---\n",
    "---\n",
    "no front matter\n---\na: 1\n---\n",
    "---\na: 1\n--- \nb: 2\n---\n",
    "---\na: [1\n---\n",
    "---\na: 2024-02-30\n---\n",
    "---\na: =\n---\n",
    "---\na:\tb\n\tc: d\n---\n",
    "---\r\nlicense: mit\r\ntags:\r\n- x\r\n---\r\n",
    "\ufeff---\nlicense: mit\n---\n",
    "---\nkey: \"quoted \\u00e9 \\x41\"\nlit: |\n  line1\n  line2\nfold: >\n  a\n  b\n---\n",
    "---\n!!str 1: !!int '42'\nf: !!float '3'\nn: !!null ''\nb: !!bool 'yes'\ns: !!str 2.5\n---\n",
    "---\na: !custom x\n---\n",
    "---\n? [1, 2]\n: x\n---\n",
    "---\n1: a\n1.0: b\ntrue: c\n---\n",
    "---\nbig: 123456789012345678901234567890123456789012345\nneg: -0x_1F\noct: 0_7\n---\n",
    "---\nname: \u65e5\u672c\u8a9e\ncontrol: \"a\\x01b\"\n---\n",
    "---\nx: 1\n...\n---\n",
    "---\nunterminated: 1\nstill: yaml\n",
    "---\na: 0b_\n---\n",
]


def yaml_cases():
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "m"
        d.mkdir()
        for text in YAML_READMES:
            (d / "README.md").write_bytes(text.encode("utf-8"))
            try:
                v = Metadata.load_model_card(d)
                out.append({"readme": text, "value": tag(v), "error": False})
            except Exception:
                out.append({"readme": text, "value": None, "error": True})
    return out


# --------------------------------------------------------------------------------------------
# Model directories

SMOL_README = """---
library_name: transformers
license: apache-2.0
language:
- en
pipeline_tag: text-generation
tags:
- safetensors
- onnx
- transformers.js
base_model:
- HuggingFaceTB/SmolLM2-135M
datasets:
- HuggingFaceTB/smoltalk
---

# SmolLM2
"""

LLAMA_README = """---
language:
- en
- de
- no
- fr
library_name: transformers
license: llama3.1
tags:
- facebook
- meta
- pytorch
- llama
- llama-3
extra_gated_prompt: "### LLAMA 3.1 COMMUNITY LICENSE AGREEMENT"
extra_gated_fields:
  First Name: text
  Country: country
base_model: meta-llama/Meta-Llama-3.1-8B
---
## Model Information
"""

SMOL_TENSORS = [["token_embd.weight", [49152, 576]]] + [
    [f"blk.{i}.{n}", s] for i in range(30) for n, s in [
        ("attn_norm.weight", [576]), ("attn_q.weight", [576, 576]), ("attn_k.weight", [192, 576]),
        ("attn_v.weight", [192, 576]), ("attn_output.weight", [576, 576]),
        ("ffn_norm.weight", [576]), ("ffn_gate.weight", [1536, 576]),
        ("ffn_up.weight", [1536, 576]), ("ffn_down.weight", [576, 1536])]
] + [["output_norm.weight", [576]]]

MOE_TENSORS = [["token_embd.weight", [32000, 4096]], ["output.weight", [32000, 4096]]] + [
    [f"blk.{i}.{n}", s] for i in range(32) for n, s in [
        ("attn_q.weight", [4096, 4096]), ("attn_k.weight", [1024, 4096]),
        ("attn_v.weight", [1024, 4096]), ("attn_output.weight", [4096, 4096]),
        ("ffn_gate_inp.weight", [8, 4096]), ("ffn_gate_exps.weight", [8, 14336, 4096]),
        ("ffn_up_exps.weight", [8, 14336, 4096]), ("ffn_down_exps.weight", [8, 4096, 14336])]
]

LORA_TENSORS = [
    [f"blk.{i}.{n}.weight.{ab}", s] for i in range(2) for n in ["attn_q", "attn_v"]
    for ab, s in [("lora_a", [16, 4096]), ("lora_b", [4096, 16])]
]

CASES = [
    {"id": "smollm2", "dir_name": "SmolLM2-135M-Instruct", "tensors": SMOL_TENSORS,
     "files": {"README.md": SMOL_README,
               "config.json": '{"_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct", "architectures": ["LlamaForCausalLM"], "hidden_size": 576}',
               "generation_config.json": '{"bos_token_id": 1, "eos_token_id": 2, "temperature": 0.2, "top_p": 0.9, "top_k": 50, "repetition_penalty": 1.1, "do_sample": true}'}},
    {"id": "llama31", "dir_name": "Meta-Llama-3.1-8B-Instruct", "tensors": [["w", [8_030_261_248]]],
     "files": {"README.md": LLAMA_README, "config.json": '{"architectures": ["LlamaForCausalLM"]}',
               "generation_config.json": '{"do_sample": true, "temperature": 0.6, "top_p": 0.9}'}},
    {"id": "moe-computed", "dir_name": "tiny-moe", "tensors": MOE_TENSORS, "files": {}},
    {"id": "moe-from-dir", "dir_name": "Mixtral-8x7B-Instruct-v0.1", "tensors": MOE_TENSORS, "files": {}},
    {"id": "bare", "dir_name": "my_model", "tensors": [["w", [1000, 1000]]], "files": {}},
    {"id": "no-tensors", "dir_name": "vocab-only-model", "tensors": [], "files": {}},
    {"id": "no-front-matter", "dir_name": "m1", "tensors": [], "files": {"README.md": "# Title\n\nlicense: mit\n"}},
    {"id": "empty-front-matter", "dir_name": "m2", "tensors": [], "files": {"README.md": "---\n---\n"}},
    {"id": "list-front-matter", "dir_name": "m3", "tensors": [], "files": {"README.md": "---\n- a\n---\n"}},
    {"id": "invalid-yaml", "dir_name": "m4", "tensors": [], "files": {"README.md": "---\na: [1\n---\n"}},
    {"id": "license-list", "dir_name": "m5", "tensors": [],
     "files": {"README.md": "---\nlicense: [mit, apache-2.0]\nlicense_name: custom\nlicense_link: https://x.example/LICENSE\n---\n"}},
    {"id": "license-list-nonstr", "dir_name": "m6", "tensors": [], "files": {"README.md": "---\nlicense: [mit, 2]\n---\n"}},
    {"id": "base-models", "dir_name": "merge-7B", "tensors": [["w", [7_000_000_000]]],
     "files": {"README.md": "---\nbase_model:\n- https://huggingface.co/org/Model-7B-v1.0\n- ssh://git@example.com/y\n- http://example.com/a\n- {name: Custom, author: Me, version: '2', url: 'https://c.example', doi: 10.1/x, uuid: u-1, description: d, organization: O, repo_url: r}\n- 5\n- ./local/Model-13B-chat\n- Some Model\n- https://huggingface.co/datasets/a/b\n- https://huggingface.co/a/b/\n- org/name-v2-7B\n---\n"}},
    {"id": "datasets", "dir_name": "m7", "tensors": [],
     "files": {"README.md": "---\ndatasets: https://huggingface.co/datasets/foo/bar\ndataset: ignored/x\n---\n"}},
    {"id": "datasets-list", "dir_name": "m8", "tensors": [],
     "files": {"README.md": "---\ndataset_sources:\n- allenai/c4\n- {name: D}\n- https://huggingface.co/x/y\n- [1]\n---\n"}},
    {"id": "base-model-null", "dir_name": "m9", "tensors": [], "files": {"README.md": "---\nbase_model:\ndatasets: []\n---\n"}},
    {"id": "card-fields", "dir_name": "m10", "tensors": [["w", [5]]],
     "files": {"README.md": "---\nname: Card Name\nauthor: A\nversion: v9\norganization: Org\ndescription: Desc\nfinetune: ft\nbasename: bn\nsize_label: 9B\nurl: https://u\ndoi: 10.1/2\nuuid: abc\nrepo_url: https://r\nmodel_creator: ignored\nmodel_type: ignored\n---\n"}},
    {"id": "card-model-fields", "dir_name": "x-7B-v3", "tensors": [],
     "files": {"README.md": "---\nmodel_name: MN\nmodel_author: MA\nmodel_version: MV\nmodel_organization: MO\nmodel_description: MD\nmodel_finetune: MF\nmodel_basename: MB\nmodel_size_label: MS\nmodel_url: MU\nmodel_doi: MDOI\nmodel_uuid: MUUID\nmodel_repo_url: MR\n---\n"}},
    {"id": "creator-type", "dir_name": "m11", "tensors": [],
     "files": {"README.md": "---\nmodel_creator: TheCreator\nmodel_type: llama\n---\n"}},
    {"id": "version-float", "dir_name": "m12", "tensors": [], "files": {"README.md": "---\nversion: 1.0\n---\n"}},
    {"id": "version-date", "dir_name": "m13", "tensors": [], "files": {"README.md": "---\nversion: 2024-01-01\n---\n"}},
    {"id": "name-zero", "dir_name": "m14", "tensors": [], "files": {"README.md": "---\nname: 0\n---\n"}},
    {"id": "name-empty", "dir_name": "m15", "tensors": [], "files": {"README.md": "---\nname: ''\nauthor: ''\n---\n"}},
    {"id": "tags-int", "dir_name": "m16", "tensors": [], "files": {"README.md": "---\ntags: [1, 2, -3]\n---\n"}},
    {"id": "tags-mixed", "dir_name": "m17", "tensors": [], "files": {"README.md": "---\ntags: [a, 1]\n---\n"}},
    {"id": "tags-float-bool", "dir_name": "m18", "tensors": [], "files": {"README.md": "---\ntags: [1.5, 2.25]\nlanguages: [yes, no]\n---\n"}},
    {"id": "tags-nested", "dir_name": "m19", "tensors": [], "files": {"README.md": "---\ntags: [[a, b], [1]]\n---\n"}},
    {"id": "tags-nested-empty", "dir_name": "m20", "tensors": [], "files": {"README.md": "---\ntags: [[a], []]\n---\n"}},
    {"id": "tags-int-range", "dir_name": "m21", "tensors": [], "files": {"README.md": "---\ntags: [3000000000]\n---\n"}},
    {"id": "tags-dict", "dir_name": "m22", "tensors": [], "files": {"README.md": "---\ntags: [{a: 1}]\n---\n"}},
    {"id": "pipeline-only", "dir_name": "m23", "tensors": [], "files": {"README.md": "---\npipeline_tag: text-generation\ntags: 5\n---\n"}},
    {"id": "languages", "dir_name": "m24", "tensors": [],
     "files": {"README.md": "---\nlanguages: [en]\nlanguage: fr\n---\n"}},
    {"id": "language-norway", "dir_name": "m25", "tensors": [], "files": {"README.md": "---\nlanguage: no\n---\n"}},
    {"id": "empty-lists", "dir_name": "m26", "tensors": [], "files": {"README.md": "---\ntags: []\nlanguage: []\nlicense: []\n---\n"}},
    {"id": "name-or-path-empty", "dir_name": "m27", "tensors": [], "files": {"config.json": '{"_name_or_path": ""}'}},
    {"id": "name-or-path-abs", "dir_name": "Model-13B", "tensors": [["w", [13_000_000_000]]],
     "files": {"config.json": '{"_name_or_path": "/home/u/models/llama"}'}},
    {"id": "name-or-path-relative", "dir_name": "m28", "tensors": [["w", [1_100_000_000]]],
     "files": {"config.json": '{"_name_or_path": "./TinyLlama-1.1B-Chat-v1.0"}'}},
    {"id": "name-or-path-int", "dir_name": "m29", "tensors": [], "files": {"config.json": '{"_name_or_path": 5}'}},
    {"id": "name-or-path-null", "dir_name": "m30", "tensors": [], "files": {"config.json": '{"_name_or_path": null}'}},
    {"id": "config-invalid", "dir_name": "m31", "tensors": [], "files": {"config.json": '{"a": 1,}'}},
    {"id": "config-list", "dir_name": "m32", "tensors": [], "files": {"config.json": '[1]'}},
    {"id": "config-nan", "dir_name": "m33", "tensors": [],
     "files": {"config.json": '{"x": NaN, "y": -Infinity, "_name_or_path": "o/Nan-7B"}'}},
    {"id": "gen-invalid", "dir_name": "m34", "tensors": [], "files": {"generation_config.json": '{"top_k": 5,'}},
    {"id": "gen-float-topk", "dir_name": "m35", "tensors": [], "files": {"generation_config.json": '{"top_k": 50.0}'}},
    {"id": "gen-all", "dir_name": "m36", "tensors": [],
     "files": {"generation_config.json": '{"sequence": "top_k;temp", "top_k": 40, "top_p": 0.95, "min_p": 0.05, "xtc_probability": 0.5, "xtc_threshold": 0.1, "temperature": 0.7, "penalty_last_n": 64, "penalty_repeat": 1.05, "repetition_penalty": 9, "mirostat": 2, "mirostat_tau": 5, "mirostat_eta": 0.1}'}},
    {"id": "gen-nulls-bool", "dir_name": "m37", "tensors": [],
     "files": {"generation_config.json": '{"top_k": null, "temperature": true, "top_p": NaN, "mirostat": false, "sequence": ""}'}},
    {"id": "gen-list", "dir_name": "m38", "tensors": [], "files": {"generation_config.json": '[1]'}},
    {"id": "gen-empty-list", "dir_name": "m39", "tensors": [], "files": {"generation_config.json": '[]'}},
    {"id": "gen-int32-range", "dir_name": "m40", "tensors": [], "files": {"generation_config.json": '{"top_k": 2147483648}'}},
    {"id": "gen-f32-overflow", "dir_name": "m41", "tensors": [], "files": {"generation_config.json": '{"temperature": 1e39}'}},
    {"id": "gen-string-temp", "dir_name": "m42", "tensors": [], "files": {"generation_config.json": '{"temperature": "0.5"}'}},
    {"id": "model-name", "dir_name": "Llama-2-7b-hf", "model_name": "Custom Name", "tensors": [["w", [6_700_000_000]]],
     "files": {"README.md": "---\nname: From Card\n---\n"}},
    {"id": "remote", "dir_name": "m43", "remote": "org/Remote-Model-1B", "tensors": [], "files": {}},
    {"id": "lora", "dir_name": "my-lora-adapter", "model_dir_name": "Llama-2-7b-hf", "tensors": LORA_TENSORS,
     "files": {"README.md": "---\nbase_model: meta-llama/Llama-2-7b-hf\nlibrary_name: peft\n---\n# Model Card\n",
               "adapter_config.json": '{"base_model_name_or_path": "meta-llama/Llama-2-7b-hf", "lora_alpha": 16}'}},
    {"id": "lora-sized", "dir_name": "Llama-7B-LoRA-chat", "model_dir_name": "base", "tensors": LORA_TENSORS, "files": {}},
    {"id": "lora-small-label", "dir_name": "x-1M-lora", "model_dir_name": "base", "tensors": LORA_TENSORS, "files": {}},
    {"id": "override", "dir_name": "m44", "tensors": [["w", [100]]],
     "override": '{"general.name": "Over", "general.license": "ignored", "general.license.name": "LN", "general.tags": ["t1", "t2"], "general.base_models": [{"name": "B", "repo_url": "R"}], "general.datasets": [], "general.sampling.top_k": 3, "general.url": "U", "general.doi": "D", "general.uuid": "UU", "general.repo_url": "RU", "general.source.url": "SU", "general.quantized_by": "Q", "general.size_label": "SL", "general.languages": "en"}',
     "files": {"README.md": "---\nlicense: mit\ntags: [x]\nbase_model: a/b\n---\n"}},
    {"id": "override-null-name", "dir_name": "m45", "model_dir_name": "fallback-dir", "tensors": [],
     "override": '{"general.name": null}', "files": {}},
    {"id": "override-weird", "dir_name": "m46", "tensors": [],
     "override": '{"general.base_models": "ab", "general.datasets": {"k": 1}, "general.tags": "xyz"}', "files": {}},
    {"id": "override-invalid", "dir_name": "m47", "tensors": [], "override": '{', "files": {}},
    {"id": "crlf", "dir_name": "m48", "tensors": [], "files": {"README.md": "---\r\nlicense: mit\r\ntags:\r\n- x\r\n---\r\n"}},
    {"id": "bom", "dir_name": "m49", "tensors": [], "files": {"README.md": "\ufeff---\nlicense: mit\n---\n"}},
    {"id": "tabs", "dir_name": "m50", "tensors": [], "files": {"README.md": "---\ntags:\n\t- a\n\t- b\n---\n"}},
    {"id": "unclosed", "dir_name": "m51", "tensors": [], "files": {"README.md": "---\nlicense: mit\n"}},
    {"id": "anchors", "dir_name": "m52", "tensors": [],
     "files": {"README.md": "---\nx: &l [a, b]\ntags: *l\nlanguages: *l\n---\n"}},
    {"id": "context-length", "dir_name": "Qwen2.5-7B-Instruct-1M", "tensors": [["w", [7_615_616_512]]], "files": {}},
    {"id": "unicode-dir", "dir_name": "mod\u00e8le-\u00fcn\u00ef-7b-chat", "tensors": [["w", [7_000_000_000]]], "files": {}},
    {"id": "dir-with-space", "dir_name": "my model 7B", "tensors": [["w", [10]]], "files": {}},
    {"id": "readme-latin1", "dir_name": "m53", "tensors": [], "files_hex": {"README.md": "2d2d2d0a6e616d653a20e90a2d2d2d0a"}},
    {"id": "gen-latin1", "dir_name": "m54", "tensors": [], "files_hex": {"generation_config.json": "7b2261223a2022e9227d"}},
    {"id": "control-char", "dir_name": "m55", "tensors": [], "files": {"README.md": "---\nname: a\u0001b\n---\n"}},
    {"id": "description-multiline", "dir_name": "m56", "tensors": [],
     "files": {"README.md": "---\ndescription: |\n  line one\n  line two\nauthor: >-\n  folded\n  text\n---\n"}},
    {"id": "bool-fields", "dir_name": "m57", "tensors": [], "files": {"README.md": "---\nauthor: yes\norganization: false\n---\n"}},
    {"id": "name-falsy-basename", "dir_name": "m59", "tensors": [], "files": {"README.md": "---\nname: []\nbasename: B\n---\n"}},
    {"id": "name-falsy", "dir_name": "m60", "tensors": [], "files": {"README.md": "---\nname: []\n---\n"}},
    {"id": "complex-card", "dir_name": "Example-7B-Chat", "tensors": [["w", [6_738_415_616]]], "files": {"README.md": COMPLEX_README.replace(", 2023]", "]")}},
    {"id": "dot-org", "dir_name": "m58", "tensors": [], "files": {"config.json": '{"_name_or_path": ".hidden/Model-2B"}'}},
]


def run_case(case, root):
    d = root / case["id"] / case["dir_name"]
    d.mkdir(parents=True)
    for name, text in case.get("files", {}).items():
        (d / name).write_bytes(text.encode("utf-8"))
    for name, hx in case.get("files_hex", {}).items():
        (d / name).write_bytes(bytes.fromhex(hx))
    model_dir = d
    if case.get("model_dir_name"):
        model_dir = root / case["id"] / case["model_dir_name"]
        model_dir.mkdir()
    override = None
    if case.get("override") is not None:
        override = root / case["id"] / "override.json"
        override.write_text(case["override"], encoding="utf-8")
    total, shared, expert, expert_count = counts_of(case["tensors"])
    result = {"counts": [total, shared, expert, expert_count]}
    try:
        meta = Metadata.load(override, d, case.get("model_name"), total)
        if case.get("remote"):
            meta.name = case["remote"]
        if meta.name is None:
            meta.name = model_dir.name
        if meta.size_label is None and total > 0:
            meta.size_label = gguf.size_label(total, shared, expert, expert_count)
        w = gguf.GGUFWriter(None, "llama")
        meta.set_gguf_meta_model(w)
        result["kv"] = encode_kv(w)
        result["error"] = None
    except Exception as e:  # noqa: BLE001 - the reference fails here; so must we
        result["kv"] = None
        result["error"] = f"{type(e).__name__}: {e}"
        return result
    names = {}
    for ty in ["F16", "Q8_0", "BF16"]:
        try:
            names[ty] = gguf.naming_convention(meta.name, meta.basename, meta.finetune, meta.version,
                                               meta.size_label, ty,
                                               model_type="LoRA" if total < 0 else None) + ".gguf"
        except Exception:
            names[ty] = None
    try:
        names["vocab"] = gguf.naming_convention(meta.name, meta.basename, meta.finetune, meta.version,
                                                size_label=None, output_type=None, model_type="vocab") + ".gguf"
    except Exception:
        names["vocab"] = None
    try:
        names["mmproj_F16"] = "mmproj-" + gguf.naming_convention(meta.name, meta.basename, meta.finetune, meta.version,
                                                                 size_label=None, output_type="F16", model_type=None) + ".gguf"
    except Exception:
        names["mmproj_F16"] = None
    result["file_names"] = names
    return result


def main():
    out_path = sys.argv[1]
    dirs = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for case in CASES:
            entry = {k: case.get(k) for k in ["id", "dir_name", "model_dir_name", "model_name", "remote", "override"]}
            entry["files"] = case.get("files", {})
            entry["files_hex"] = case.get("files_hex", {})
            entry["tensors"] = case["tensors"] if len(case["tensors"]) <= 16 else None
            entry["tensors_ref"] = None
            if entry["tensors"] is None:
                entry["tensors_ref"] = next(k for k, v in [("smol", SMOL_TENSORS), ("moe", MOE_TENSORS)] if v is case["tensors"])
            entry.update(run_case(case, root))
            dirs.append(entry)
    doc = {
        "generator": "scripts/golden/convert/card_cases.py (gguf-py from llama-cpp-python 0.3.36, PyYAML "
                     + __import__("yaml").__version__ + ")",
        "tensor_sets": {"smol": SMOL_TENSORS, "moe": MOE_TENSORS},
        "size_labels": size_label_cases(),
        "model_ids": model_id_cases(),
        "titles": [{"in": t, "out": Metadata.id_to_title(t)} for t in TITLES],
        "naming": naming_cases(),
        "templates": template_cases(),
        "param_counts": param_count_cases(),
        "yaml": yaml_cases(),
        "dirs": dirs,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
