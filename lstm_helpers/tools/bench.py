"""Speed tables: our numpy LSTM against PyTorch on the CPU; from-scratch against cuDNN on a GPU.

Run ``python -m lstm_helpers.tools.bench [--quick] [--full] [--out results/bench.txt]``; timings are medians.
"""

# CPU timings depend on thread counts; to pin them, set OMP_NUM_THREADS (torch) and
# OPENBLAS_NUM_THREADS / MKL_NUM_THREADS (numpy) before the run. On a busy machine, fewer threads
# than cores give steadier numbers.

from __future__ import annotations

import argparse
import platform
import statistics
import time
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from lstm_helpers.data import CharVocab, DownloadError, get_batch, load_corpus, train_val_split
from lstm_helpers.models import CharLSTM, recurrence_dtypes
from lstm_helpers.numpy_lstm import lstm_backward, lstm_forward
from lstm_helpers.torch_lstm import LSTM as ScratchLSTM
from lstm_helpers.train import autocast, get_preset, precision_policy, train
from lstm_helpers.utils import atomic_write

COLUMNS = ("section", "case", "shape", "ms", "tokens/s", "ratio", "target")


@dataclass
class BenchConfig:
    """What to measure and how often; ``--quick`` swaps in tiny shapes and fewer repeats."""

    repeats: int = 7  # timed repeats; the median is reported
    warmup: int = 2  # untimed repeats first (allocations, cuDNN plans, caches)
    cpu_shapes: tuple = ((32, 50, 128, 128), (64, 100, 256, 256))  # (N, T, D, H), D = H
    gpu_shape: tuple = (64, 128, 512)  # (B, T, H) for the layer-level training step
    loop_warmup: int = 10  # train() vs bare loop: the bare loop's untimed steps
    loop_steps: int = 50  # timed steps (train() also warms up for this many)
    numpy_target: float = 1.5  # numpy within 1.5x of torch on the CPU
    loop_target: float = 0.95  # train() keeps >= 95% of a bare loop's tokens/s
    loss_target: float = 1.38  # gpu preset, tinyshakespeare, 60 s


QUICK = BenchConfig(repeats=3, warmup=1, cpu_shapes=((4, 8, 16, 16), (8, 16, 32, 32)), gpu_shape=(8, 16, 64),
                    loop_warmup=3, loop_steps=10)


def format_table(rows: list[dict], columns=COLUMNS) -> str:
    """Plain-text table with aligned columns; missing cells are blank."""
    cells = [[str(c) for c in columns]] + [[_fmt(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value) -> str:
    if isinstance(value, float):
        for bound, spec in ((1000, ",.0f"), (100, ".0f"), (10, ".1f"), (1, ".2f")):
            if value >= bound:
                return format(value, spec)
        return f"{value:.3f}"
    return str(value)


def median_time(fn, repeats: int, warmup: int, sync=None) -> float:
    """Median wall-clock seconds of ``fn()`` over ``repeats`` calls, after ``warmup`` untimed ones."""
    sync = sync or (lambda: None)
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()  # GPU work is asynchronous: wait for it before reading the clock
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ----------------------------------------------------------------------------------------------
# (a) CPU, float32: numpy_lstm against torch.nn.LSTM


def bench_numpy_vs_torch(shape, cfg: BenchConfig) -> list[dict]:
    """Forward, and forward + backward, of one LSTM layer on the CPU in float32."""
    N, T, D, H = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, T, D), dtype=np.float32)
    h0 = np.zeros((N, H), dtype=np.float32)
    Wx = rng.standard_normal((D, 4 * H), dtype=np.float32) / np.sqrt(D, dtype=np.float32)
    Wh = rng.standard_normal((H, 4 * H), dtype=np.float32) / np.sqrt(H, dtype=np.float32)
    b = np.zeros(4 * H, dtype=np.float32)
    dh = rng.standard_normal((N, T, H), dtype=np.float32)

    lstm = torch.nn.LSTM(D, H, batch_first=True)
    xt = torch.from_numpy(x).requires_grad_()
    dht = torch.from_numpy(dh)

    def torch_forward():  # with autograd on, as numpy's forward keeps its cache for backward
        return lstm(xt)[0]

    def torch_both():
        lstm.zero_grad(set_to_none=True)
        xt.grad = None
        torch_forward().backward(dht)

    times = {
        ("numpy", "forward"): median_time(lambda: lstm_forward(x, h0, Wx, Wh, b), cfg.repeats, cfg.warmup),
        ("torch", "forward"): median_time(torch_forward, cfg.repeats, cfg.warmup),
        ("numpy", "forward+backward"): median_time(lambda: lstm_backward(dh, lstm_forward(x, h0, Wx, Wh, b)[1]),
                                                   cfg.repeats, cfg.warmup),
        ("torch", "forward+backward"): median_time(torch_both, cfg.repeats, cfg.warmup),
    }
    rows = []
    for what in ("forward", "forward+backward"):
        ratio = times["numpy", what] / times["torch", what]
        target = ""
        if what == "forward+backward":
            met = "met" if ratio <= cfg.numpy_target else "missed"
            target = f"numpy <= {cfg.numpy_target}x torch: {met}"
        for impl in ("numpy", "torch"):
            rows.append(dict(section="(a) cpu fp32", case=f"{impl} {what}", shape=f"N={N} T={T} D={D} H={H}",
                             ms=1e3 * times[impl, what], **{"tokens/s": N * T / times[impl, what]},
                             ratio=f"{ratio:.2f}x torch" if impl == "numpy" else "1.00x",
                             target=target if impl == "numpy" else ""))
    return rows


def real_dtype_name(step, layer) -> str:
    """'fp32', 'bf16', 'fp16' or a mix: what cuDNN's recurrence kernel (nn.LSTM) or the matrix
    products (the scratch LSTM) really receive during one call of ``step``, after autocast's casts."""
    names = {torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}
    seen = recurrence_dtypes(step, match=("rnn", "lstm") if isinstance(layer, torch.nn.LSTM) else ("mm",))
    tf32 = " (TF32 allowed)" if seen == {torch.float32} and torch.backends.cudnn.allow_tf32 else ""
    return "+".join(sorted(names.get(d, str(d)) for d in seen)) + tf32 if seen else "?"


# ----------------------------------------------------------------------------------------------
# (b) CUDA: from-scratch LSTM variants against cuDNN, one training step of one layer


def bench_gpu_variants(cfg: BenchConfig, device: torch.device) -> list[dict]:
    B, T, H = cfg.gpu_shape
    variants = [
        ("scratch, per-step input projection", lambda: ScratchLSTM(H, H, batch_first=True, fused_input=False), None),
        ("scratch, fused input projection", lambda: ScratchLSTM(H, H, batch_first=True, fused_input=True), None),
        ("scratch, fused, autocast(bf16)", lambda: ScratchLSTM(H, H, batch_first=True, fused_input=True),
         torch.bfloat16),
        ("nn.LSTM (cuDNN)", lambda: torch.nn.LSTM(H, H, batch_first=True), None),
        ("nn.LSTM (cuDNN), autocast(bf16)", lambda: torch.nn.LSTM(H, H, batch_first=True), torch.bfloat16),
    ]
    x = torch.randn(B, T, H, device=device)
    results = []
    for name, build, amp in variants:
        torch.manual_seed(0)
        layer = build().to(device)
        opt = torch.optim.AdamW(layer.parameters(), lr=1e-3, fused=True)

        def step():
            with autocast("cuda", amp):
                out, _ = layer(x)  # (B, T, H)
            loss = out.float().square().mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        try:
            # The dtype the kernels really receive (autocast may pick another than it was given).
            real = real_dtype_name(step, layer)
            seconds = median_time(step, cfg.repeats, cfg.warmup, sync=torch.cuda.synchronize)
        except RuntimeError as exc:
            results.append((name, None, str(exc).splitlines()[0][:60]))
            continue
        results.append((f"{name}: runs {real}", seconds, ""))
    ref = next((s for n, s, _ in results if n.startswith("nn.LSTM (cuDNN): ") and s), None)
    rows = []
    for name, seconds, error in results:
        row = dict(section="(b) gpu train step", case=name, shape=f"B={B} T={T} D=H={H}")
        if seconds is None:
            row["target"] = f"failed: {error}"
        else:
            row.update(ms=1e3 * seconds, **{"tokens/s": B * T / seconds})
            row["ratio"] = f"{ref / seconds:.2f}x plain cuDNN speed" if ref else ""
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------------------------
# (c) CUDA: what train() keeps of a bare training loop's throughput


def bench_train_loop(cfg: BenchConfig, device: torch.device, preset: str) -> list[dict]:
    V = 65  # tinyshakespeare's vocabulary size; the tokens are random, only the speed matters
    # train() times the steps between evaluations: the first window warms up, the second is timed.
    tcfg = get_preset(preset, max_steps=2 * cfg.loop_steps, eval_interval=cfg.loop_steps, eval_batches=1,
                      max_seconds=None, patience=None)
    B, T = tcfg.batch_size, tcfg.seq_len
    g = torch.Generator(device=device).manual_seed(0)
    train_ids = torch.randint(V, (1_000_000,), device=device, generator=g)
    val_ids = torch.randint(V, (B * T + 1,), device=device, generator=g)

    def model():
        torch.manual_seed(0)
        return CharLSTM(V, tcfg.hidden_size, tcfg.num_layers, tcfg.emb_size, tcfg.dropout, tcfg.impl).to(device)

    # The bare loop: one fixed batch, forward, backward, AdamW (and the loss scaler in fp16); nothing else.
    bare = model()
    policy = precision_policy(device, amp=tcfg.amp)
    opt = torch.optim.AdamW(bare.parameters(), lr=tcfg.lr, fused=True)
    scaler = torch.amp.GradScaler("cuda", enabled=policy.use_scaler)
    x, y = get_batch(train_ids, B, T, generator=g)

    def step():
        with autocast("cuda", policy.dtype):
            logits, _ = bare(x)  # (B, T, V)
        loss = F.cross_entropy(logits.float().reshape(-1, V), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    lstm_dtype = real_dtype_name(step, bare.lstm)
    head = policy.name + (" + loss scaler" if policy.use_scaler else "")
    for _ in range(cfg.loop_warmup):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(cfg.loop_steps):
        step()
    torch.cuda.synchronize()
    bare_tps = cfg.loop_steps * B * T / (time.perf_counter() - start)

    hist = train(model(), train_ids, val_ids, tcfg, progress=False, device=device)
    loop_tps = hist["tokens_per_sec"][-1]
    ratio = loop_tps / bare_tps
    shape = f"B={B} T={T} H={tcfg.hidden_size} L={tcfg.num_layers} ({preset})"
    met = "met" if ratio >= cfg.loop_target else "missed"
    return [
        dict(section="(c) gpu loop", case=f"bare forward+backward+AdamW (LSTM runs {lstm_dtype}, head {head})",
             shape=shape, ms=1e3 * B * T / bare_tps,
             **{"tokens/s": bare_tps}, ratio="1.00x"),
        dict(section="(c) gpu loop", case="train()", shape=shape, ms=1e3 * B * T / loop_tps,
             **{"tokens/s": loop_tps}, ratio=f"{ratio:.3f}x bare",
             target=f">= {cfg.loop_target:.0%} of bare: {met}"),
    ]


# ----------------------------------------------------------------------------------------------
# (d) CUDA, --full: the gpu preset's validation loss after 60 s on tinyshakespeare


def bench_full_run(cfg: BenchConfig, device: torch.device, corpus: str) -> list[dict]:
    tcfg = get_preset("gpu")
    row = dict(section="(d) gpu preset", case=f"best val loss, {tcfg.max_seconds:g} s budget", shape=corpus)
    try:
        text = load_corpus(corpus)
    except (DownloadError, ValueError) as exc:
        row["target"] = f"skipped: corpus unavailable ({str(exc).splitlines()[0][:80]})"
        return [row]
    vocab = CharVocab(text)
    train_ids, val_ids = train_val_split(torch.from_numpy(vocab.encode(text)))
    torch.manual_seed(tcfg.seed)
    model = CharLSTM(len(vocab), tcfg.hidden_size, tcfg.num_layers, tcfg.emb_size, tcfg.dropout, tcfg.impl)
    hist = train(model.to(device), train_ids, val_ids, tcfg, progress=False, device=device, vocab=vocab)
    best = min(range(len(hist["eval_loss"])), key=hist["eval_loss"].__getitem__)
    met = "met" if hist["eval_loss"][best] <= cfg.loss_target else "missed"
    row.update(ms="", **{"tokens/s": statistics.median(hist["tokens_per_sec"])},
               ratio=f"{hist['eval_loss'][best]:.4f} nats/char at {hist['elapsed'][best]:.1f} s, step "
                     f"{hist['eval_step'][best]}",
               target=f"<= {cfg.loss_target} within {tcfg.max_seconds:g} s: {met}")
    return [row]


# ----------------------------------------------------------------------------------------------
# Command line


def run(cfg: BenchConfig, *, use_cuda: bool, full: bool = False, corpus: str = "tinyshakespeare",
        preset: str = "gpu") -> list[dict]:
    """All sections that apply here, as table rows."""
    rows = []
    for shape in cfg.cpu_shapes:
        rows += bench_numpy_vs_torch(shape, cfg)
    if not use_cuda:
        why = "no CUDA GPU" if not torch.cuda.is_available() else "--device cpu"
        for section in ("(b) gpu train step", "(c) gpu loop", "(d) gpu preset"):
            rows.append(dict(section=section, case=f"skipped: {why}"))
        return rows
    device = torch.device("cuda")
    rows += bench_gpu_variants(cfg, device)
    rows += bench_train_loop(cfg, device, preset)
    if full:
        rows += bench_full_run(cfg, device, corpus)
    else:
        rows.append(dict(section="(d) gpu preset", case="skipped: pass --full"))
    return rows


def header(use_cuda: bool) -> str:
    gpu = torch.cuda.get_device_name(0) if use_cuda else "none used"
    return (f"lstm_helpers.tools.bench | torch {torch.__version__} | numpy {np.__version__} | "
            f"CPU threads {torch.get_num_threads()} ({platform.processor() or platform.machine()}) | GPU {gpu}")


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(prog="python -m lstm_helpers.tools.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes and few repeats (a smoke test)")
    parser.add_argument("--full", action="store_true", help="also (d): the gpu preset's 60 s training run")
    parser.add_argument("--corpus", default="tinyshakespeare", help="corpus name or file for --full")
    parser.add_argument("--device", choices=("auto", "cpu"), default="auto", help="cpu: skip the GPU sections")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per measurement")
    parser.add_argument("--out", default=None, help="also write the table to this file")
    args = parser.parse_args(argv)

    cfg = QUICK if args.quick else BenchConfig()
    if args.repeats is not None:
        if args.repeats < 1:
            parser.error(f"--repeats: expected an int >= 1, got {args.repeats}")
        cfg = replace(cfg, repeats=args.repeats)
    use_cuda = args.device == "auto" and torch.cuda.is_available()
    preset = "tiny" if args.quick else "gpu"
    text = header(use_cuda) + "\n\n" + format_table(run(cfg, use_cuda=use_cuda, full=args.full,
                                                        corpus=args.corpus, preset=preset))
    print(text)
    if args.out:
        with atomic_write(args.out, "w") as fh:
            fh.write(text + "\n")
        print(f"\nwritten to {args.out}")
    return text


if __name__ == "__main__":
    main()
