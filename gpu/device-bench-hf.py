"""The peer of DeviceCheck's throughput runs: HF transformers on the same GPU, the same shapes (random weights,
batch 32 x 256), forward hooks copying every residual Mesascope streams (resid_pre, resid_mid, resid_post of every
block) to the host. Run by gpu/device-check.sh run on the lent GPU machine (PyTorch and transformers are there)."""
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

BATCH, WIDTH, ITERATIONS = 32, 256, 5


def shapes():
    yield "gpt2-small-shaped", GPT2LMHeadModel, GPT2Config(n_embd=768, n_layer=12, n_head=12, vocab_size=50257,
                                                           n_positions=1024, activation_function="gelu_new")
    yield "llama-1b-shaped", LlamaForCausalLM, LlamaConfig(hidden_size=2048, intermediate_size=8192,
                                                           num_hidden_layers=16, num_attention_heads=32,
                                                           num_key_value_heads=8, vocab_size=128256,
                                                           max_position_embeddings=2048, rms_norm_eps=1e-5,
                                                           rope_theta=500000.0, tie_word_embeddings=True)


def add_hooks(model, sink):
    blocks = model.transformer.h if hasattr(model, "transformer") else model.model.layers
    handles = []
    for block in blocks:
        attn = block.attn if hasattr(block, "attn") else block.self_attn
        saved = {}

        def pre(module, args, kwargs, saved=saved):
            x = args[0] if args else kwargs["hidden_states"]
            saved["x"] = x
            sink.append(x.detach().to("cpu"))  # resid_pre

        def attn_out(module, args, output, saved=saved):
            sink.append((saved["x"] + output[0]).detach().to("cpu"))  # resid_mid

        def post(module, args, output):
            y = output[0] if isinstance(output, tuple) else output
            sink.append(y.detach().to("cpu"))  # resid_post

        handles.append(block.register_forward_pre_hook(pre, with_kwargs=True))
        handles.append(attn.register_forward_hook(attn_out))
        handles.append(block.register_forward_hook(post))
    return handles


def timed(model, ids):
    with torch.inference_mode():
        model(ids)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(ITERATIONS):
            model(ids)
            torch.cuda.synchronize()
        return (time.perf_counter() - t0) / ITERATIONS * 1000


def main():
    print(f"HF transformers peer: torch {torch.__version__}, {torch.cuda.get_device_name(0)}, batch {BATCH} x {WIDTH}")
    for name, cls, config in shapes():
        for precision in ("fp32", "tf32", "bf16"):
            torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
            torch.backends.cudnn.allow_tf32 = precision == "tf32"
            torch.manual_seed(0)
            model = cls(config).to("cuda").eval()
            if precision == "bf16":
                model = model.to(torch.bfloat16)
            ids = torch.randint(0, config.vocab_size, (BATCH, WIDTH), device="cuda")
            plain = timed(model, ids)
            sink = []
            handles = add_hooks(model, sink)
            hooked = timed(model, ids)
            per_pass = len(sink) // (ITERATIONS + 1)
            for h in handles:
                h.remove()
            print(f"{name:18s} {precision:4s} forward {plain:.1f} ms ({BATCH * WIDTH / plain * 1000:.0f} tok/s); "
                  f"with resid hooks {hooked:.1f} ms ({BATCH * WIDTH / hooked * 1000:.0f} tok/s, {per_pass} tensors per pass)")
            del model
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
