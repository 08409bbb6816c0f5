"""Training a character-level LSTM: the config, presets, the learning-rate schedule and one readable train() loop.

Run it from a shell with ``python -m lstm_helpers.train --corpus tinyshakespeare --preset gpu``.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from lstm_helpers.checkpoint import (CheckpointError, data_sha256, load_checkpoint, read_checkpoint,
                                     resume_mismatch, save_checkpoint, unwrap_model)
from lstm_helpers.data import CharVocab, get_batch
from lstm_helpers.models import IMPLS, CharLSTM
from lstm_helpers.utils import atomic_write

AMP_MODES = ("auto", "bf16", "fp16", "fp32")


@dataclass
class TrainConfig:
    """Every setting of a training run; invalid values raise ValueError naming the field."""

    # model
    hidden_size: int = 256
    num_layers: int = 2
    emb_size: int | None = 64  # None: one-hot inputs
    dropout: float = 0.1
    impl: str = "cudnn"  # 'cudnn' (nn.LSTM) or 'scratch' (lstm_helpers.torch_lstm.LSTM)
    # data: the global batch (split across processes when run with torchrun)
    batch_size: int = 32
    seq_len: int = 128
    # optimiser: AdamW, linear warmup then cosine decay to min_lr_ratio * lr at max_steps
    lr: float = 2e-3
    weight_decay: float = 0.01
    warmup_steps: int = 50
    min_lr_ratio: float = 0.1
    grad_clip: float | None = 1.0  # max global gradient norm; None or 0 turns clipping off
    # budget: the schedule is set by max_steps alone; max_seconds may stop a run early, never reshape it
    max_steps: int = 2000
    max_seconds: float | None = None  # training time, evaluation excluded
    # evaluation and early stopping
    eval_interval: int = 100
    eval_batches: int | None = 8  # None: the whole validation split
    patience: int | None = None  # stop after this many evaluations without a new best
    log_interval: int = 10  # steps between copies of the loss to the host
    # system
    amp: str = "auto"  # 'auto': what the device supports (see precision_policy); the LSTM stays fp32
    seed: int = 0
    compile: bool = False  # torch.compile the embedding and output layer (nn.LSTM itself is never compiled)

    def __post_init__(self):
        self.validate()

    def validate(self) -> "TrainConfig":
        def fail(name, expected):
            raise ValueError(f"{name}: expected {expected}, got {getattr(self, name)!r}")

        def is_int(v):
            return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

        def is_num(v):
            return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)

        for name in ("hidden_size", "num_layers", "batch_size", "seq_len", "max_steps", "eval_interval",
                     "log_interval"):
            if not is_int(getattr(self, name)) or getattr(self, name) < 1:
                fail(name, "an int >= 1")
        for name in ("warmup_steps", "seed"):
            if not is_int(getattr(self, name)) or getattr(self, name) < 0:
                fail(name, "an int >= 0")
        for name in ("emb_size", "patience", "eval_batches"):
            value = getattr(self, name)
            if value is not None and (not is_int(value) or value < 1):
                fail(name, "None or an int >= 1")
        if not is_num(self.dropout) or not 0 <= self.dropout < 1:
            fail("dropout", "a number in [0, 1)")
        if not is_num(self.lr) or not self.lr > 0:
            fail("lr", "a number > 0")
        if not is_num(self.weight_decay) or not self.weight_decay >= 0:
            fail("weight_decay", "a number >= 0")
        if not is_num(self.min_lr_ratio) or not 0 <= self.min_lr_ratio <= 1:
            fail("min_lr_ratio", "a number in [0, 1]")
        if self.grad_clip is not None and (not is_num(self.grad_clip) or self.grad_clip < 0):
            fail("grad_clip", "None or a number >= 0")
        if self.max_seconds is not None and (not is_num(self.max_seconds) or not self.max_seconds > 0):
            fail("max_seconds", "None or a number > 0")
        if self.amp not in AMP_MODES:
            fail("amp", f"one of {AMP_MODES}")
        if self.impl not in IMPLS:
            fail("impl", f"one of {IMPLS}")
        if not isinstance(self.compile, bool):
            fail("compile", "True or False")
        return self


# tiny: seconds on a CPU (tests, LSTM_QUICK notebook runs). cpu: about half a minute on a laptop (learner-sized).
# shakespeare: the model shipped in models/charlstm_shakespeare/, trained on one CPU thread in
# under an hour (see that folder's README for the command and what it reached).
# t4: for the free T4 of a Colab session (fp16 around the fp32 LSTM, see precision_policy); its goal is a
# validation loss below 1.60 nats/char on tinyshakespeare within 10 minutes. It is the shakespeare recipe, so the
# updates it needs are measured (the shipped model's history: below 1.60 after 1,400 updates); its time on a T4
# is an estimate (notebook 09), NOT yet measured on a T4. max_seconds stops a slower GPU's training by 8 minutes,
# with the best checkpoint kept.
# gpu: the full run on one H100. Its target is a best validation loss <= 1.38 nats/char on
# tinyshakespeare within 60 s of training (fp32/TF32 cuDNN LSTM, bf16 output layer, 2 x 1024,
# AdamW 2e-3, dropout 0.3). The gpu settings were chosen from experience and NOT tuned or
# verified on a GPU when they were written: `python -m lstm_helpers.tools.bench --full` measures them.
PRESETS = {
    "tiny": TrainConfig(hidden_size=64, num_layers=1, emb_size=32, dropout=0.0, batch_size=16, seq_len=32,
                        lr=1e-2, weight_decay=0.0, warmup_steps=5, max_steps=120, eval_interval=40,
                        eval_batches=2, log_interval=10),
    "cpu": TrainConfig(hidden_size=256, num_layers=1, emb_size=64, dropout=0.0, batch_size=32, seq_len=64,
                       lr=3e-3, weight_decay=0.01, warmup_steps=20, max_steps=200, eval_interval=50,
                       eval_batches=8),
    "shakespeare": TrainConfig(hidden_size=512, num_layers=1, emb_size=64, dropout=0.0, batch_size=32,
                               seq_len=128, lr=2e-3, weight_decay=0.01, warmup_steps=100, min_lr_ratio=0.05,
                               max_steps=2600, eval_interval=200, eval_batches=None, log_interval=25),
    "t4": TrainConfig(hidden_size=512, num_layers=1, emb_size=64, dropout=0.0, batch_size=32, seq_len=128,
                      lr=2e-3, weight_decay=0.01, warmup_steps=100, min_lr_ratio=0.05, max_steps=2600,
                      max_seconds=480, eval_interval=200, eval_batches=None, log_interval=25),
    "gpu": TrainConfig(hidden_size=1024, num_layers=2, emb_size=128, dropout=0.3, batch_size=128, seq_len=256,
                       lr=2e-3, weight_decay=0.1, warmup_steps=50, min_lr_ratio=0.05, max_steps=1500,
                       max_seconds=60, eval_interval=50, eval_batches=4, log_interval=25),
}


def get_preset(name: str, **overrides) -> TrainConfig:
    """A fresh copy of ``PRESETS[name]`` with ``overrides`` applied (and validated)."""
    if name not in PRESETS:
        raise ValueError(f"name: expected one of {sorted(PRESETS)}, got {name!r}")
    known = {f.name for f in fields(TrainConfig)}
    for key in overrides:
        if key not in known:
            raise ValueError(f"{key}: not a TrainConfig field (fields: {', '.join(sorted(known))})")
    return replace(PRESETS[name], **overrides)


def lr_at(step: int, lr: float, warmup_steps: int, max_steps: int, min_lr_ratio: float) -> float:
    """Learning rate for update ``step`` (0-based): linear warmup, then cosine decay to min_lr_ratio * lr.

    Depends on the step alone, so a run reproduces on any machine, however fast.
    """
    if step < warmup_steps:
        return lr * (step + 1) / warmup_steps  # the first step already moves: lr / warmup_steps, not 0
    progress = min(1.0, (step - warmup_steps) / max(1, max_steps - warmup_steps))  # 0 -> 1, then stays at 1
    return lr * (min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def count_parameters(model: torch.nn.Module) -> int:
    """Number of trainable numbers in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@dataclass(frozen=True)
class Policy:
    """Which precision a training run uses, and why.

    ``dtype`` is autocast's dtype for the layers around the LSTM (None: no autocast, everything in
    float32); the LSTM itself always runs in float32 (``models.run_lstm``). ``use_scaler`` is True
    exactly when ``dtype`` is float16: fp16's 5 exponent bits lose small gradients unless the loss is
    scaled up before backward (``torch.amp.GradScaler``). ``reason`` says why this policy was chosen.
    """

    dtype: torch.dtype | None
    use_scaler: bool
    reason: str

    @property
    def name(self) -> str:
        """'bf16', 'fp16' or 'fp32'."""
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]

    def __str__(self) -> str:
        around = "everything in fp32" if self.dtype is None else f"{self.name} autocast around an fp32 LSTM"
        return f"precision: {around}, {'with a' if self.use_scaler else 'no'} loss scaler ({self.reason})"


def precision_policy(device, capability=None, bf16_supported=None, *, amp: str = "auto") -> Policy:
    """The precision policy for training on ``device``: bf16, fp16 with a loss scaler, or fp32.

    ``amp='auto'`` picks from what the device supports: on a CUDA GPU with native bf16 (compute
    capability 8.0 and later: A100, L4, H100) bf16 autocast; on one with fp16 tensor cores only
    (7.x: V100, T4) fp16 autocast with a ``GradScaler``; on older GPUs (6.x and before: P100, K80),
    the CPU and Apple's MPS, fp32. 'bf16' and 'fp16' ask for that dtype wherever autocast has it
    (CUDA, CPU) and raise ValueError elsewhere; 'fp32' is fp32 anywhere. ``capability`` (major,
    minor) and ``bf16_supported`` default to what the device reports; pass them to simulate
    another GPU (then nothing is asked of CUDA). Runs nothing on any model.
    """
    device = torch.device(device)
    if amp not in AMP_MODES:
        raise ValueError(f"amp: expected one of {AMP_MODES}, got {amp!r}")
    if capability is not None:
        if (not isinstance(capability, (tuple, list)) or len(capability) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in capability)):
            raise ValueError(f"capability: expected (major, minor), two ints >= 0, got {capability!r}")
        capability = tuple(capability)
    if bf16_supported is not None and not isinstance(bf16_supported, bool):
        raise ValueError(f"bf16_supported: expected None, True or False, got {bf16_supported!r}")
    bf16 = Policy(torch.bfloat16, False, "")
    fp16 = Policy(torch.float16, True, "")
    fp32 = Policy(None, False, "")
    if device.type == "cuda":
        if capability is None:
            capability = torch.cuda.get_device_capability(device)
        if bf16_supported is None:  # native only: torch.cuda.is_bf16_supported() also says True for emulated bf16
            bf16_supported = bool(torch.version.hip) or capability >= (8, 0)
        gpu = f"CUDA GPU of compute capability {capability[0]}.{capability[1]}"
    else:
        bf16_supported = device.type == "cpu" if bf16_supported is None else bf16_supported
        gpu = None
    if amp == "fp32":
        return replace(fp32, reason="amp='fp32' asked for")
    if amp in ("bf16", "fp16"):
        if device.type not in ("cuda", "cpu") or (amp == "bf16" and not bf16_supported):
            raise ValueError(f"amp: {amp!r} is not supported on device {device}; use 'fp32' or 'auto'")
        return replace(bf16 if amp == "bf16" else fp16, reason=f"amp={amp!r} asked for, on {gpu or device.type}")
    if gpu is None:
        return replace(fp32, reason=f"{device.type}, not a CUDA GPU")
    if bf16_supported:
        return replace(bf16, reason=f"{gpu}: native bf16")
    if capability >= (7, 0):
        return replace(fp16, reason=f"{gpu}: fp16 tensor cores, no native bf16")
    return replace(fp32, reason=f"{gpu}: no tensor cores")


def autocast(device_type: str, amp_dtype: torch.dtype | None):
    """``torch.autocast`` to ``amp_dtype``, or a do-nothing context when it is None (fp32)."""
    return torch.autocast(device_type, dtype=amp_dtype) if amp_dtype is not None else contextlib.nullcontext()


@torch.no_grad()
def evaluate(model, data: torch.Tensor, *, seq_len: int, batch_size: int, max_batches: int | None = None,
             amp_dtype: torch.dtype | None = None) -> float:
    """Mean cross-entropy (nats/char) over consecutive, non-overlapping windows of ``data``.

    The same windows every time (no randomness), each starting from a zero state; at most
    ``max_batches`` batches of ``batch_size`` windows (None: all of ``data``).
    """
    n = (len(data) - 1) // seq_len
    if max_batches is not None:
        n = min(n, max_batches * batch_size)
    if n < 1:
        raise ValueError(f"data: expected at least seq_len + 1 = {seq_len + 1} tokens, got {len(data)}")
    x_all = data[:n * seq_len].view(n, seq_len)  # (n, T)
    y_all = data[1:n * seq_len + 1].view(n, seq_len)  # (n, T)
    was_training = model.training
    model.eval()
    total = torch.zeros((), device=data.device)
    for start in range(0, n, batch_size):
        x, y = x_all[start:start + batch_size], y_all[start:start + batch_size]
        with autocast(data.device.type, amp_dtype):
            logits, _ = model(x)  # (b, T, V)
        total += F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum")
    model.train(was_training)
    return total.item() / (n * seq_len)


def _as_tokens(name: str, ids, min_len: int, device) -> torch.Tensor:
    if isinstance(ids, np.ndarray):
        ids = torch.from_numpy(ids)
    if not isinstance(ids, torch.Tensor) or ids.ndim != 1 or ids.dtype.is_floating_point:
        got = f"shape {tuple(ids.shape)} {ids.dtype}" if isinstance(ids, torch.Tensor) else type(ids).__name__
        raise ValueError(f"{name}: expected a 1-D integer tensor or array of token ids, got {got}")
    if len(ids) < min_len:
        raise ValueError(f"{name}: expected at least {min_len} tokens (seq_len + 1), got {len(ids)}")
    return ids.to(device=device, dtype=torch.long)


def make_optimizer(model, cfg: TrainConfig, device) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices and embeddings only (not on biases)."""
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.99), fused=torch.device(device).type == "cuda")


def new_history() -> dict:
    """The one history format: per logged update ``step``, ``train_loss``, ``lr``; per evaluation
    ``eval_step``, ``eval_loss``, ``tokens_per_sec`` (training tokens/s since the previous
    evaluation) and ``elapsed`` (training seconds so far, evaluation excluded)."""
    return {"step": [], "train_loss": [], "lr": [], "eval_step": [], "eval_loss": [], "tokens_per_sec": [],
            "elapsed": []}


def _distributed():
    """(rank, world size) of a torchrun process group, or (0, 1) outside one."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _forward_module(model, cfg: TrainConfig, device, world: int):
    """What the loop calls: the model, wrapped in DDP when several processes train it."""
    if cfg.compile:  # nn.LSTM breaks torch.compile's graph, so only the output layer is compiled, in place
        unwrap_model(model).head.compile()
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        return DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
    return model


def keep_global_rng(fn):
    """Decorator: ``fn`` may seed and draw from torch's global generators; the caller's torch, numpy
    and Python random states are put back afterwards, so a call changes nothing outside."""
    import functools
    import random

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        py_state, np_state = random.getstate(), np.random.get_state()
        cuda_devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
        try:
            with torch.random.fork_rng(devices=cuda_devices):
                return fn(*args, **kwargs)
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)

    return wrapper


@keep_global_rng
def train(model, train_data, val_data, cfg: TrainConfig, *, out_dir=None, resume: bool = False, device=None,
          progress: bool = True, vocab: CharVocab | None = None, log=None) -> dict:
    """Train ``model`` (a ``CharLSTM``) on token ids; returns the history dict (see ``new_history``).

    AdamW with gradient-norm clipping; the learning rate follows ``lr_at`` (set by step, so a time
    budget stops a run early but never reshapes it); the precision that ``precision_policy`` picks for
    the device (bf16, fp16 with a loss scaler, or fp32; the LSTM always fp32), printed in one line;
    validation every ``cfg.eval_interval`` steps. With ``out_dir``, every
    evaluation writes ``out_dir/last.pt`` and each new best also ``out_dir/best.pt``; ``resume=True``
    continues from ``last.pt`` after checking it is the same run (model, schedule, vocabulary,
    data), exactly on the same device. Stops early after ``cfg.patience`` evaluations without
    improvement; Ctrl-C stops cleanly. Under ``torchrun`` each process trains on its rows of the
    same global batch (DDP). ``log(line)`` (optional) gets one line per evaluation. The caller's
    global random generators are left as they were.
    """
    if not isinstance(cfg, TrainConfig):
        raise ValueError(f"cfg: expected a TrainConfig, got {type(cfg).__name__}")
    cfg.validate()
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    if resume and out_dir is None:
        raise ValueError("out_dir: expected a folder when resume=True, got None")
    rank, world = _distributed()
    if cfg.batch_size % world:
        raise ValueError(f"batch_size: expected a multiple of the {world} processes, got {cfg.batch_size}")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device)
    train_data = _as_tokens("train_data", train_data, cfg.seq_len + 1, device)
    val_data = _as_tokens("val_data", val_data, cfg.seq_len + 1, device)
    data_hash = data_sha256(train_data, val_data)
    policy = precision_policy(device, amp=cfg.amp)
    amp_dtype = policy.dtype
    out_dir = Path(out_dir) if out_dir is not None else None
    last_path, best_path = (out_dir / "last.pt", out_dir / "best.pt") if out_dir is not None else (None, None)
    ckpt = None
    if resume and last_path.is_file():  # check it is the same run before any work
        ckpt = read_checkpoint(last_path)
        why = resume_mismatch(ckpt, asdict(cfg), vocab.to_dict() if vocab is not None else None, data_hash)
        if why:
            raise CheckpointError(f"resume: {last_path} comes from a different run: {why}. Use another "
                                  "output folder, or the settings it was made with")

    torch.manual_seed(cfg.seed + rank)  # dropout masks (fork_rng restores the caller's state afterwards)
    gen = torch.Generator().manual_seed(cfg.seed)  # batch offsets: on the CPU, so runs resume on any device
    optimizer = make_optimizer(model, cfg, device)
    scaler = torch.amp.GradScaler(device.type, enabled=policy.use_scaler)  # when disabled, each call does nothing
    fwd = _forward_module(model, cfg, device, world)
    step, best_val, best_step, evals_since_best, elapsed = 0, float("inf"), 0, 0, 0.0
    history = new_history()
    if ckpt is not None:
        load_checkpoint(last_path, model, optimizer, generator=gen, restore_rng=True, device=device, scaler=scaler)
        step, best_val, best_step, elapsed = ckpt["step"], ckpt["best_val_loss"], ckpt["best_step"], ckpt["elapsed"]
        history = ckpt["history"]
        evals_since_best = sum(s > best_step for s in history["eval_step"])
        if progress:
            print(f"Resuming from {last_path} at step {step} (best val loss {best_val:.4f} at step {best_step}).")
    elif resume and progress:
        print(f"No checkpoint at {last_path} yet: starting from scratch.")

    if rank == 0 and (progress or log is not None):
        (log or print)(str(policy))
    rows = slice(rank * cfg.batch_size // world, (rank + 1) * cfg.batch_size // world)  # this process's share
    bar = tqdm(total=cfg.max_steps, initial=step, disable=not progress or rank > 0, desc="train",
               dynamic_ncols=True)
    tokens_per_step = cfg.batch_size * cfg.seq_len
    pending = []  # (step, loss tensor, lr): copied to the host every log_interval steps, not every step
    window_tokens, window_seconds = 0, 0.0
    stop = "max_steps" if step < cfg.max_steps else "already at max_steps"
    model.train()
    t0 = time.perf_counter()
    try:
        while step < cfg.max_steps:
            # learning rate, set the plain way from the step number
            lr = lr_at(step, cfg.lr, cfg.warmup_steps, cfg.max_steps, cfg.min_lr_ratio)
            for group in optimizer.param_groups:
                group["lr"] = lr
            # batch: the same global batch for any number of processes; each takes its rows
            x, y = get_batch(train_data, cfg.batch_size, cfg.seq_len, generator=gen)  # (B, T) each
            x, y = x[rows], y[rows]
            # forward
            with autocast(device.type, amp_dtype):
                logits, _ = fwd(x)  # (B, T, V)
            loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1))
            # backward (the loss scaled up in fp16; under DDP the gradients are averaged over the processes here)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            # clip (the true gradients: unscaled first)
            if cfg.grad_clip:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            # step (in fp16 skipped, and the scale lowered, when a gradient overflowed)
            scaler.step(optimizer)
            scaler.update()
            step += 1
            pending.append((step, loss.detach(), lr))
            window_tokens += tokens_per_step
            do_eval = step % cfg.eval_interval == 0 or step == cfg.max_steps
            # log (copying the losses to the host waits for the GPU, so only now and then)
            if step % cfg.log_interval == 0 or do_eval:
                _flush(pending, history, world)
                now = time.perf_counter()
                elapsed += now - t0
                window_seconds += now - t0
                t0 = now
                out_of_time = _agree(cfg.max_seconds is not None and elapsed >= cfg.max_seconds, world, device)
                do_eval = do_eval or out_of_time
                bar.update(step - bar.n)
                bar.set_postfix(loss=f"{history['train_loss'][-1]:.3f}", lr=f"{lr:.2e}",
                                best_val=f"{best_val:.3f}", refresh=False)
            # eval / checkpoint (not counted as training time)
            if do_eval:
                val_loss = evaluate(model, val_data, seq_len=cfg.seq_len, batch_size=cfg.batch_size,
                                    max_batches=cfg.eval_batches, amp_dtype=amp_dtype)
                history["eval_step"].append(step)
                history["eval_loss"].append(val_loss)
                history["tokens_per_sec"].append(window_tokens / max(window_seconds, 1e-9))
                history["elapsed"].append(elapsed)
                window_tokens, window_seconds = 0, 0.0
                improved = val_loss < best_val
                if improved:
                    best_val, best_step, evals_since_best = val_loss, step, 0
                else:
                    evals_since_best += 1
                if out_dir is not None and rank == 0:
                    save_checkpoint(last_path, model, optimizer, step=step, best_val_loss=best_val,
                                    best_step=best_step, history=history, config=asdict(cfg), vocab=vocab,
                                    data_hash=data_hash, generator=gen, device=device, elapsed=elapsed,
                                    scaler=scaler)
                    if improved:
                        _copy_file(last_path, best_path)
                if log is not None:
                    log(f"step {step:>6} | train loss {history['train_loss'][-1]:.4f} | val loss {val_loss:.4f} | "
                        f"lr {lr:.2e} | {history['tokens_per_sec'][-1]:,.0f} tokens/s | {elapsed:,.0f} s")
                bar.set_postfix(loss=f"{history['train_loss'][-1]:.3f}", val=f"{val_loss:.3f}",
                                best_val=f"{best_val:.3f}")
                t0 = time.perf_counter()
                if cfg.patience is not None and evals_since_best >= cfg.patience:
                    stop = f"early stop: no better validation loss in {cfg.patience} evaluations"
                    break
                if out_of_time:
                    stop = f"time budget of {cfg.max_seconds:g} s used"
                    break
    except KeyboardInterrupt:
        stop = "interrupted (Ctrl-C); resume=True continues from the last evaluation"
    finally:
        _flush(pending, history, world)
        bar.close()
    if progress and rank == 0:
        where = f"; checkpoints in {out_dir}" if out_dir is not None and history["eval_step"] else ""
        print(f"Stopped at step {step} ({stop}). Best val loss {best_val:.4f} at step {best_step}{where}.")
    return history


def _flush(pending: list, history: dict, world: int = 1) -> None:
    """Move the buffered per-step losses into the history (one device-to-host copy; averaged over processes)."""
    if not pending:
        return
    losses = torch.stack([loss for _, loss, _ in pending])
    if world > 1:
        torch.distributed.all_reduce(losses)
        losses = losses / world
    for (step, _, lr), loss in zip(pending, losses.tolist()):
        history["step"].append(step)
        history["train_loss"].append(loss)
        history["lr"].append(lr)
    pending.clear()


def _agree(flag: bool, world: int, device=None) -> bool:
    """True if any process says True (so every process stops at the same step)."""
    if world == 1:
        return bool(flag)
    t = torch.tensor([float(flag)], device=device)
    torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
    return bool(t.item())


def _copy_file(src: Path, dest: Path) -> None:
    with atomic_write(dest, "wb") as fh:
        fh.write(src.read_bytes())


def load_char_model(path, device=None):
    """Rebuild a trained ``CharLSTM`` from a checkpoint or an exported model: (model in eval mode, vocab, ckpt).

    Weights stored in fp16 come back as float32.
    """
    ckpt = read_checkpoint(path)
    if not ckpt.get("model_args") or ckpt.get("vocab") is None:
        raise CheckpointError(f"checkpoint: {str(path)!r} holds no CharLSTM (no model_args or vocab)")
    model = CharLSTM(**ckpt["model_args"])
    load_checkpoint(path, model)
    model.to(device if device is not None else "cpu").eval()
    return model, CharVocab.from_dict(ckpt["vocab"]), ckpt


if __name__ == "__main__":  # python -m lstm_helpers.train: the command line lives in train_cli
    from lstm_helpers.train_cli import main

    main()
