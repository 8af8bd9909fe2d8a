#!/usr/bin/env python3
"""Write a llama-shaped safetensors checkpoint with random BF16 weights for the conversion
benchmark: MODEL_DIR [--layers N] (default 16 layers: ~0.5 B parameters, ~1 GB), sharded in
~400 MB files with an index, and the SentencePiece tokenizer of the llama-spm golden checkpoint.

Run with the reference converter's venv (torch, safetensors); see convert.sh.
"""
import argparse
import json
import os
import shutil

import torch
from safetensors.torch import save_file


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=16)
    ap.add_argument("--tokenizer-from", required=True)
    a = ap.parse_args()
    hidden, inter, heads, kv_heads, vocab = 1536, 4096, 12, 4, 32000
    head_dim = hidden // heads
    os.makedirs(a.out, exist_ok=True)
    g = torch.Generator().manual_seed(1)

    def w(*shape):
        return (torch.randn(*shape, generator=g) * 0.02).to(torch.bfloat16)

    tensors = {"model.embed_tokens.weight": w(vocab, hidden), "model.norm.weight": w(hidden),
               "lm_head.weight": w(vocab, hidden)}
    for i in range(a.layers):
        p = f"model.layers.{i}."
        tensors.update({
            p + "input_layernorm.weight": w(hidden),
            p + "post_attention_layernorm.weight": w(hidden),
            p + "self_attn.q_proj.weight": w(heads * head_dim, hidden),
            p + "self_attn.k_proj.weight": w(kv_heads * head_dim, hidden),
            p + "self_attn.v_proj.weight": w(kv_heads * head_dim, hidden),
            p + "self_attn.o_proj.weight": w(hidden, heads * head_dim),
            p + "mlp.gate_proj.weight": w(inter, hidden),
            p + "mlp.up_proj.weight": w(inter, hidden),
            p + "mlp.down_proj.weight": w(hidden, inter),
        })
    shards, cur, size = [], {}, 0
    for name in sorted(tensors):
        t = tensors[name]
        cur[name] = t
        size += t.numel() * 2
        if size > 400 << 20:
            shards.append(cur)
            cur, size = {}, 0
    if cur:
        shards.append(cur)
    weight_map = {}
    for k, shard in enumerate(shards):
        fname = f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file(shard, os.path.join(a.out, fname), metadata={"format": "pt"})
        weight_map.update({n: fname for n in shard})
    total = sum(t.numel() * 2 for t in tensors.values())
    with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": hidden,
        "intermediate_size": inter, "num_hidden_layers": a.layers, "num_attention_heads": heads,
        "num_key_value_heads": kv_heads, "head_dim": head_dim, "vocab_size": vocab,
        "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
        "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2,
        "torch_dtype": "bfloat16", "hidden_act": "silu",
    }
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    for fn in ("tokenizer.model", "tokenizer_config.json"):
        shutil.copy(os.path.join(a.tokenizer_from, fn), os.path.join(a.out, fn))
    print(a.out)


if __name__ == "__main__":
    main()
