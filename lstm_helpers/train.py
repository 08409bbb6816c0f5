"""Training a character-level LSTM: the config, presets, one readable train() loop and checkpoints.

Run it from a shell with ``python -m lstm_helpers.train --corpus tinyshakespeare --preset gpu``.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import statistics
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from lstm_helpers.data import CharVocab, get_batch, load_corpus, train_val_split
from lstm_helpers.models import IMPLS, CharLSTM
from lstm_helpers.utils import atomic_write, get_device, quick_mode, set_seed

AMP_MODES = ("auto", "bf16", "fp32")


@dataclass
class TrainConfig:
    """Every setting of a training run; invalid values raise ValueError naming the field."""

    # model
    hidden_size: int = 256
    num_layers: int = 2
    emb_size: int | None = 64  # None: one-hot inputs
    dropout: float = 0.1
    impl: str = "cudnn"  # 'cudnn' (nn.LSTM) or 'scratch' (lstm_helpers.torch_lstm.LSTM)
    # data
    batch_size: int = 32
    seq_len: int = 128
    # optimiser: AdamW, linear warmup then cosine decay to min_lr_ratio * lr
    lr: float = 2e-3
    weight_decay: float = 0.01
    warmup_steps: int = 50
    min_lr_ratio: float = 0.1
    grad_clip: float | None = 1.0  # max global gradient norm; None or 0 turns clipping off
    # budget: whichever comes first; with max_seconds the cosine follows the clock too
    max_steps: int = 2000
    max_seconds: float | None = None  # training time, evaluation excluded
    # evaluation and early stopping
    eval_interval: int = 100
    eval_batches: int = 8
    patience: int | None = None  # stop after this many evaluations without a new best
    log_interval: int = 10  # steps between copies of the loss to the host
    # system
    amp: str = "auto"  # 'auto': bf16 autocast on CUDA, fp32 elsewhere
    seed: int = 0
    compile: bool = False

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
                     "eval_batches", "log_interval"):
            if not is_int(getattr(self, name)) or getattr(self, name) < 1:
                fail(name, "an int >= 1")
        for name in ("warmup_steps", "seed"):
            if not is_int(getattr(self, name)) or getattr(self, name) < 0:
                fail(name, "an int >= 0")
        for name in ("emb_size", "patience"):
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


# tiny: seconds on a CPU (tests, LSTM_QUICK notebook runs). cpu: a few minutes on a laptop.
# gpu: the full run on one H100. Its target is a best validation loss <= 1.38 nats/char on
# tinyshakespeare within 60 s of training (bf16 cuDNN LSTM, 2 x 1024, AdamW 2e-3, dropout 0.3;
# eval_batches=4 of 128 x 256 covers the whole validation split, so the loss is the full one).
# The gpu settings were chosen from experience and NOT tuned or verified on an H100 when they
# were written: `python -m lstm_helpers.tools.bench --full` measures what they reach.
PRESETS = {
    "tiny": TrainConfig(hidden_size=64, num_layers=1, emb_size=32, dropout=0.0, batch_size=16, seq_len=32,
                        lr=1e-2, weight_decay=0.0, warmup_steps=5, max_steps=120, eval_interval=40,
                        eval_batches=2, log_interval=10),
    "cpu": TrainConfig(hidden_size=256, num_layers=2, emb_size=64, dropout=0.1, batch_size=32, seq_len=128,
                       lr=3e-3, weight_decay=0.01, warmup_steps=50, max_steps=1500, max_seconds=300,
                       eval_interval=100, eval_batches=8, patience=5),
    "gpu": TrainConfig(hidden_size=1024, num_layers=2, emb_size=128, dropout=0.3, batch_size=128, seq_len=256,
                       lr=2e-3, weight_decay=0.1, warmup_steps=50, min_lr_ratio=0.05, max_steps=4000,
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


def lr_factor(step: int, cfg: TrainConfig, time_fraction: float = 0.0) -> float:
    """Learning-rate multiplier at ``step``: linear warmup, then cosine down to ``min_lr_ratio``.

    Progress through the cosine is the larger of the step fraction and ``time_fraction`` (the
    share of ``max_seconds`` used), so a time-budgeted run has decayed when its time is up.
    """
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps)
    progress = min(1.0, max(progress, time_fraction))
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def count_parameters(model: torch.nn.Module) -> int:
    """Number of trainable numbers in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ----------------------------------------------------------------------------------------------
# Checkpoints: only tensors, dicts, lists, numbers and strings, so weights_only=True can load them


def get_rng_state(generator: torch.Generator | None = None) -> dict:
    """Python, numpy, torch CPU (and CUDA) generator states, plus the batch ``generator``'s."""
    np_state = np.random.get_state(legacy=False)
    state = {
        "python": random.getstate(),
        "numpy": {"bit_generator": np_state["bit_generator"],
                  "key": np_state["state"]["key"].tolist(), "pos": int(np_state["state"]["pos"]),
                  "has_gauss": int(np_state["has_gauss"]), "gauss": float(np_state["gauss"])},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if generator is not None:
        state["batch"] = generator.get_state()
    return state


def set_rng_state(state: dict, generator: torch.Generator | None = None) -> None:
    """Undo ``get_rng_state``: put every generator back where it was."""
    random.setstate(_as_tuples(state["python"]))
    npst = state["numpy"]
    np.random.set_state({"bit_generator": npst["bit_generator"], "has_gauss": npst["has_gauss"],
                         "gauss": npst["gauss"],
                         "state": {"key": np.array(npst["key"], dtype=np.uint32), "pos": npst["pos"]}})
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
    if generator is not None and "batch" in state:
        generator.set_state(state["batch"].cpu())


def _as_tuples(obj):
    return tuple(_as_tuples(o) for o in obj) if isinstance(obj, (list, tuple)) else obj


def _unwrap(model):
    return getattr(model, "_orig_mod", model)  # torch.compile wraps the module


def save_checkpoint(path, model, optimizer=None, scheduler=None, *, step: int = 0,
                    best_val_loss: float = float("inf"), history: dict | None = None,
                    config: TrainConfig | None = None, vocab: CharVocab | None = None,
                    generator: torch.Generator | None = None, elapsed: float = 0.0) -> Path:
    """Write everything needed to resume training, atomically (a crash never leaves half a file)."""
    model = _unwrap(model)
    ckpt = {
        "model": model.state_dict(),
        "model_args": dict(getattr(model, "hparams", {})),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "step": int(step),
        "best_val_loss": float(best_val_loss),
        "elapsed": float(elapsed),
        "history": history or {},
        "config": asdict(config) if config is not None else None,
        "vocab": vocab.to_dict() if vocab is not None else None,
        "rng": get_rng_state(generator),
    }
    path = Path(path)
    with atomic_write(path, "wb") as fh:
        torch.save(ckpt, fh)
    return path


def load_checkpoint(path, model=None, optimizer=None, scheduler=None, *, generator=None,
                    restore_rng: bool = False, map_location="cpu") -> dict:
    """Load a checkpoint with ``weights_only=True``, restoring whichever objects are passed in.

    Returns the checkpoint dict (step, best_val_loss, history, config, vocab, ...).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path: expected an existing checkpoint file, got {str(path)!r}")
    ckpt = torch.load(path, map_location=map_location, weights_only=True)
    if model is not None:
        _unwrap(model).load_state_dict(ckpt["model"])
    if optimizer is not None and ckpt.get("optimizer") is not None:
        optimizer.load_state_dict(ckpt["optimizer"])
    if scheduler is not None and ckpt.get("scheduler") is not None:
        scheduler.load_state_dict(ckpt["scheduler"])
    if restore_rng:
        set_rng_state(ckpt["rng"], generator)
    return ckpt


def load_char_model(path, device=None):
    """Rebuild a trained ``CharLSTM`` from a checkpoint: returns (model in eval mode, vocab, ckpt)."""
    ckpt = load_checkpoint(path)
    if not ckpt.get("model_args") or ckpt.get("vocab") is None:
        raise ValueError(f"path: expected a CharLSTM checkpoint with model_args and vocab, got {str(path)!r}")
    model = CharLSTM(**ckpt["model_args"])
    model.load_state_dict(ckpt["model"])
    model.to(device if device is not None else "cpu").eval()
    return model, CharVocab.from_dict(ckpt["vocab"]), ckpt


# ----------------------------------------------------------------------------------------------
# Training


@torch.no_grad()
def evaluate(model, data: torch.Tensor, *, seq_len: int, batch_size: int, max_batches: int | None = None,
             amp_dtype: torch.dtype | None = None) -> float:
    """Mean cross-entropy (nats/char) over consecutive, non-overlapping windows of ``data``.

    The same windows every time (no randomness), each starting from a zero state; at most
    ``max_batches`` batches of ``batch_size`` windows.
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


def autocast(device_type: str, amp_dtype: torch.dtype | None):
    """``torch.autocast`` to ``amp_dtype``, or a do-nothing context when it is None (fp32)."""
    return torch.autocast(device_type, dtype=amp_dtype) if amp_dtype is not None else contextlib.nullcontext()


def _as_tokens(name: str, ids, min_len: int, device) -> torch.Tensor:
    if isinstance(ids, np.ndarray):
        ids = torch.from_numpy(ids)
    if not isinstance(ids, torch.Tensor) or ids.ndim != 1 or ids.dtype.is_floating_point:
        got = f"shape {tuple(ids.shape)} {ids.dtype}" if isinstance(ids, torch.Tensor) else type(ids).__name__
        raise ValueError(f"{name}: expected a 1-D integer tensor or array of token ids, got {got}")
    if len(ids) < min_len:
        raise ValueError(f"{name}: expected at least {min_len} tokens (seq_len + 1), got {len(ids)}")
    return ids.to(device=device, dtype=torch.long)


def _amp_dtype(model, cfg: TrainConfig, device: torch.device):
    """bf16 if asked for (or 'auto' on CUDA) and this model/device pair runs it; else None (fp32).

    Whether cuDNN runs an LSTM in bf16 depends on its version, so one tiny forward and backward
    decides, instead of a crash later; the random generators are left untouched.
    """
    want = cfg.amp == "bf16" or (cfg.amp == "auto" and device.type == "cuda")
    if not want:
        return None
    x = torch.zeros(2, 4, dtype=torch.long, device=device)
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            with torch.autocast(device.type, dtype=torch.bfloat16):
                logits, _ = model(x)
            logits.float().sum().backward()
    except RuntimeError as exc:
        print(f"bf16 autocast does not run here ({str(exc).splitlines()[0]}); training in fp32 instead.")
        return None
    finally:
        model.zero_grad(set_to_none=True)
    return torch.bfloat16


def _make_optimizer(model, cfg: TrainConfig, device: torch.device):
    decay = [p for p in model.parameters() if p.ndim >= 2]  # matrices and embeddings
    no_decay = [p for p in model.parameters() if p.ndim < 2]  # biases
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.99), fused=device.type == "cuda")


def new_history() -> dict:
    """Per training step: step, train_loss, lr. Per evaluation: val_step, val_loss,
    tokens_per_sec (training tokens/s since the previous evaluation) and elapsed (training seconds
    so far, evaluation excluded)."""
    return {"step": [], "train_loss": [], "lr": [], "val_step": [], "val_loss": [], "tokens_per_sec": [],
            "elapsed": []}


def train(model, train_data, val_data, cfg: TrainConfig, *, checkpoint_path=None, resume: bool = False,
          device=None, progress: bool = True, vocab: CharVocab | None = None) -> dict:
    """Train ``model`` (a ``CharLSTM``) on token ids; returns the history dict (see ``new_history``).

    AdamW with gradient-norm clipping, linear warmup then cosine decay, bf16 autocast on CUDA,
    validation every ``cfg.eval_interval`` steps. Each new best validation loss is written to
    ``checkpoint_path`` with everything needed to resume: ``resume=True`` continues from it (steps
    after the best are recomputed) and, on the CPU, reproduces the uninterrupted run's losses
    exactly. Training stops early after ``cfg.patience`` evaluations without improvement; Ctrl-C
    stops cleanly. ``device`` defaults to the model's. Seeds the global generators (dropout) with
    ``cfg.seed``; ``vocab`` (optional) is stored in the checkpoint.
    """
    if not isinstance(cfg, TrainConfig):
        raise ValueError(f"cfg: expected a TrainConfig, got {type(cfg).__name__}")
    cfg.validate()
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    if resume and checkpoint_path is None:
        raise ValueError("checkpoint_path: expected a path when resume=True, got None")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device)
    train_data = _as_tokens("train_data", train_data, cfg.seq_len + 1, device)
    val_data = _as_tokens("val_data", val_data, cfg.seq_len + 1, device)
    set_seed(cfg.seed)
    amp_dtype = _amp_dtype(model, cfg, device)
    optimizer = _make_optimizer(model, cfg, device)
    clock = {"time_fraction": 0.0}  # read by the schedule, so a time budget also decays the lr
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, cfg, clock["time_fraction"]))
    gen = torch.Generator(device=device if device.type == "cuda" else "cpu").manual_seed(cfg.seed)
    fwd = torch.compile(model) if cfg.compile else model

    step, best_val, best_step, evals_since_best, elapsed = 0, float("inf"), 0, 0, 0.0
    history = new_history()
    if resume and Path(checkpoint_path).is_file():
        ckpt = load_checkpoint(checkpoint_path, model, optimizer, scheduler, generator=gen, restore_rng=True)
        step, best_val, best_step, elapsed = ckpt["step"], ckpt["best_val_loss"], ckpt["step"], ckpt["elapsed"]
        history = ckpt["history"]
        if progress:
            print(f"Resuming from {checkpoint_path} at step {step} (best val loss {best_val:.4f}).")
    elif resume and progress:
        print(f"No checkpoint at {checkpoint_path} yet: starting from scratch.")

    bar = tqdm(total=cfg.max_steps, initial=step, disable=not progress, desc="train", dynamic_ncols=True)
    tokens_per_step = cfg.batch_size * cfg.seq_len
    pending = []  # (step, loss tensor, lr): copied to the host every log_interval steps, not every step
    window_tokens, window_seconds = 0, 0.0
    stop = "max_steps" if step < cfg.max_steps else "already at max_steps"
    model.train()
    t0 = time.perf_counter()
    try:
        while step < cfg.max_steps:
            # batch
            x, y = get_batch(train_data, cfg.batch_size, cfg.seq_len, generator=gen)  # (B, T) each
            lr = optimizer.param_groups[0]["lr"]
            # forward
            with autocast(device.type, amp_dtype):
                logits, _ = fwd(x)  # (B, T, V)
            loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1))
            # backward
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            # clip
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            # step
            optimizer.step()
            step += 1
            pending.append((step, loss.detach(), lr))
            window_tokens += tokens_per_step
            seconds_now = elapsed + time.perf_counter() - t0
            if cfg.max_seconds:
                clock["time_fraction"] = seconds_now / cfg.max_seconds
            scheduler.step()
            out_of_time = cfg.max_seconds is not None and seconds_now >= cfg.max_seconds
            do_eval = step % cfg.eval_interval == 0 or step == cfg.max_steps or out_of_time
            # log (copying the losses to the host waits for the GPU, so only now and then)
            if step % cfg.log_interval == 0 or do_eval:
                _flush(pending, history)
                now = time.perf_counter()
                elapsed += now - t0
                window_seconds += now - t0
                t0 = now
                bar.update(step - bar.n)
                bar.set_postfix(loss=f"{history['train_loss'][-1]:.3f}", lr=f"{lr:.2e}",
                                best_val=f"{best_val:.3f}", refresh=False)
            # eval / checkpoint (not counted as training time)
            if do_eval:
                val_loss = evaluate(fwd, val_data, seq_len=cfg.seq_len, batch_size=cfg.batch_size,
                                    max_batches=cfg.eval_batches, amp_dtype=amp_dtype)
                history["val_step"].append(step)
                history["val_loss"].append(val_loss)
                history["tokens_per_sec"].append(window_tokens / max(window_seconds, 1e-9))
                history["elapsed"].append(elapsed)
                window_tokens, window_seconds = 0, 0.0
                if val_loss < best_val:
                    best_val, best_step, evals_since_best = val_loss, step, 0
                    if checkpoint_path is not None:
                        save_checkpoint(checkpoint_path, model, optimizer, scheduler, step=step,
                                        best_val_loss=best_val, history=history, config=cfg, vocab=vocab,
                                        generator=gen, elapsed=elapsed)
                else:
                    evals_since_best += 1
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
        stop = "interrupted (Ctrl-C)"
    finally:
        _flush(pending, history)
        bar.close()
    if progress:
        where = f"; best checkpoint: {checkpoint_path}" if checkpoint_path is not None and best_step else ""
        print(f"Stopped at step {step} ({stop}). Best val loss {best_val:.4f} at step {best_step}{where}.")
    return history


def _flush(pending: list, history: dict) -> None:
    """Move the buffered per-step losses into the history (one device-to-host copy)."""
    if not pending:
        return
    losses = torch.stack([loss for _, loss, _ in pending]).tolist()
    for (step, _, lr), loss in zip(pending, losses):
        history["step"].append(step)
        history["train_loss"].append(loss)
        history["lr"].append(lr)
    pending.clear()


# ----------------------------------------------------------------------------------------------
# Command line


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m lstm_helpers.train", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="pystdlib", help="pystdlib (offline), tinyshakespeare, or a text file")
    parser.add_argument("--preset", default="tiny" if quick_mode() else "cpu", choices=sorted(PRESETS))
    parser.add_argument("--out", default=None, help="checkpoint path (default checkpoints/<corpus>_<preset>.pt)")
    parser.add_argument("--max-seconds", type=float, default=None, help="training time budget in seconds")
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--impl", choices=IMPLS, default=None, help="LSTM implementation (default: the preset's)")
    parser.add_argument("--device", choices=("cuda", "mps", "cpu"), default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--resume", action="store_true", help="continue from --out if it exists")
    parser.add_argument("--sample", type=int, default=200, help="characters to sample from the best model")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    overrides = {k: v for k, v in (("max_seconds", args.max_seconds), ("max_steps", args.max_steps),
                                   ("impl", args.impl), ("seed", args.seed)) if v is not None}
    cfg = get_preset(args.preset, **overrides)
    device = get_device(args.device)
    print(f"device: {device}")
    text = load_corpus(args.corpus)
    vocab = CharVocab(text)
    train_ids, val_ids = train_val_split(torch.from_numpy(vocab.encode(text)))
    print(f"corpus: {args.corpus}, {len(text):,} chars, vocabulary {vocab.size}, "
          f"{len(train_ids):,} train / {len(val_ids):,} val tokens")
    set_seed(cfg.seed)
    model = CharLSTM(vocab.size, cfg.hidden_size, cfg.num_layers, cfg.emb_size, cfg.dropout, cfg.impl).to(device)
    print(f"model: CharLSTM {cfg.num_layers} x {cfg.hidden_size} ({cfg.impl}), parameters: {count_parameters(model):,}")
    out = Path(args.out) if args.out else Path("checkpoints") / f"{Path(args.corpus).stem}_{args.preset}.pt"
    history = train(model, train_ids, val_ids, cfg, checkpoint_path=out, resume=args.resume, device=device,
                    progress=not args.no_progress, vocab=vocab)
    if history["val_loss"]:
        best = min(range(len(history["val_loss"])), key=history["val_loss"].__getitem__)
        print(f"best validation loss: {history['val_loss'][best]:.4f} nats/char at step "
              f"{history['val_step'][best]} ({history['elapsed'][best]:.1f} s of training)")
        print(f"tokens per second: {statistics.median(history['tokens_per_sec']):,.0f} "
              "(median over evaluation intervals, training steps only)")
    print(f"checkpoint: {out if out.is_file() else 'none written'}")
    if args.sample and out.is_file():
        best_model, _, _ = load_char_model(out, device)
        g = torch.Generator().manual_seed(cfg.seed)
        start = vocab.encode(text[0])
        print("sample:\n" + vocab.decode(best_model.generate(start, args.sample, temperature=0.8, generator=g)))
    return history


if __name__ == "__main__":
    main()
