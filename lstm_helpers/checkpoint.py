"""Checkpoints of a training run: save, load safely, check that a resume continues the same run.

Only tensors, dicts, lists, numbers and strings are stored, so ``torch.load(weights_only=True)`` reads them.
"""

from __future__ import annotations

import hashlib
import pickle
import zipfile
from pathlib import Path

import torch

from lstm_helpers.utils import atomic_write

FORMAT = "lstm_helpers.train/2"  # full checkpoint: weights, optimizer, random state, history
EXPORT_FORMAT = "lstm_helpers.charlstm/1"  # compact model for sharing: weights (fp16) + what rebuilds it

# TrainConfig fields that must match for a resumed run to be the same run (the rest, such as
# max_seconds, eval_interval, patience or log_interval, may change between sessions).
RESUME_FIELDS = ("hidden_size", "num_layers", "emb_size", "dropout", "impl", "batch_size", "seq_len", "lr",
                 "weight_decay", "warmup_steps", "min_lr_ratio", "grad_clip", "max_steps", "seed")


class CheckpointError(ValueError):
    """A checkpoint file cannot be used: unreadable, foreign, or from a different run."""


def data_sha256(*tensors) -> str:
    """Hex SHA-256 of token-id tensors (their int64 bytes, in order): names the exact data of a run."""
    digest = hashlib.sha256()
    for t in tensors:
        digest.update(torch.as_tensor(t).detach().to("cpu", torch.int64).contiguous().numpy().tobytes())
        digest.update(b"|")
    return digest.hexdigest()


def unwrap_model(model):
    model = getattr(model, "module", model)  # DistributedDataParallel wraps the module
    return getattr(model, "_orig_mod", model)  # torch.compile too


def get_rng_state(generator: torch.Generator | None = None, device=None) -> dict:
    """The random state a training run depends on: the batch ``generator`` (always a CPU one),
    torch's CPU generator and, on CUDA, the ``device``'s generator (dropout)."""
    state = {"torch": torch.get_rng_state()}
    if generator is not None:
        state["batch"] = generator.get_state()
    device = torch.device(device) if device is not None else None
    if device is not None and device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict, generator: torch.Generator | None = None, device=None) -> None:
    """Undo ``get_rng_state``. The CUDA state is restored only on CUDA; the rest on any device, so a
    run saved on a GPU resumes on a CPU (the same batches; dropout masks then differ)."""
    torch.set_rng_state(state["torch"].cpu())
    if generator is not None and "batch" in state:
        generator.set_state(state["batch"].cpu())
    device = torch.device(device) if device is not None else None
    if device is not None and device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"].cpu(), device)


def save_checkpoint(path, model, optimizer=None, *, step: int = 0, best_val_loss: float = float("inf"),
                    best_step: int = 0, history: dict | None = None, config: dict | None = None,
                    vocab=None, data_hash: str | None = None, generator: torch.Generator | None = None,
                    device=None, elapsed: float = 0.0, scaler=None) -> Path:
    """Write everything needed to resume training to ``path``, atomically (a crash never leaves half a file).

    ``scaler``: the fp16 run's ``torch.amp.GradScaler``, whose current loss scale is kept (None when disabled).
    """
    model = unwrap_model(model)
    ckpt = {
        "format": FORMAT,
        "model": model.state_dict(),
        "model_args": dict(getattr(model, "hparams", {})),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "step": int(step),
        "best_val_loss": float(best_val_loss),
        "best_step": int(best_step),
        "elapsed": float(elapsed),
        "history": history or {},
        "config": dict(config) if config is not None else None,
        "vocab": vocab.to_dict() if vocab is not None else None,
        "data_sha256": data_hash,
        "rng": get_rng_state(generator, device),
        "scaler": scaler.state_dict() if scaler is not None and scaler.is_enabled() else None,
    }
    path = Path(path)
    with atomic_write(path, "wb") as fh:
        torch.save(ckpt, fh)
    return path


def read_checkpoint(path, *, map_location="cpu") -> dict:
    """Load a checkpoint or exported model with ``weights_only=True``; one clear error if it is not one.

    Raises ``CheckpointError`` (a ValueError) naming the file for a missing, corrupt, truncated or
    foreign file. Nothing in an untrusted file is ever unpickled beyond plain data.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint: expected an existing file, got {str(path)!r}")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError,
            AttributeError, KeyError, IndexError, TypeError) as exc:
        reason = type(exc).__name__
        raise CheckpointError(f"checkpoint: {str(path)!r} is not a readable checkpoint (corrupt, truncated "
                              f"or not a torch file: {reason}); delete it or pass another file") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") not in (FORMAT, EXPORT_FORMAT):
        got = ckpt.get("format", "no 'format' key") if isinstance(ckpt, dict) else type(ckpt).__name__
        raise CheckpointError(f"checkpoint: {str(path)!r} is not an lstm_helpers checkpoint (expected format "
                              f"{FORMAT!r} or {EXPORT_FORMAT!r}, got {got!r})")
    return ckpt


def load_checkpoint(path, model=None, optimizer=None, *, generator=None, restore_rng: bool = False,
                    device=None, map_location="cpu", scaler=None) -> dict:
    """Read a checkpoint (see ``read_checkpoint``) and restore whichever objects are passed in.

    Returns the checkpoint dict (step, best_val_loss, history, config, vocab, ...).
    """
    ckpt = read_checkpoint(path, map_location=map_location)
    if model is not None:
        unwrap_model(model).load_state_dict({k: v.float() if v.is_floating_point() else v
                                        for k, v in ckpt["model"].items()})
    if optimizer is not None and ckpt.get("optimizer") is not None:
        optimizer.load_state_dict(ckpt["optimizer"])
    if restore_rng:
        set_rng_state(ckpt["rng"], generator, device)
    if scaler is not None and scaler.is_enabled() and ckpt.get("scaler"):
        scaler.load_state_dict(ckpt["scaler"])
    return ckpt


def resume_mismatch(ckpt: dict, config: dict, vocab_dict: dict | None, data_hash: str | None) -> str | None:
    """None if ``ckpt`` continues the run described by the arguments, else what differs, in one phrase."""
    saved = ckpt.get("config") or {}
    diffs = [f"{k} (checkpoint {saved.get(k)!r}, now {config.get(k)!r})" for k in RESUME_FIELDS
             if saved.get(k) != config.get(k)]
    if vocab_dict is not None and ckpt.get("vocab") is not None and ckpt["vocab"] != vocab_dict:
        diffs.append("vocabulary (a different character set)")
    if data_hash is not None and ckpt.get("data_sha256") not in (None, data_hash):
        diffs.append("training data (sha256 of the token ids differs: another corpus or split)")
    return "; ".join(diffs) if diffs else None


def export_model(ckpt_path, dest, *, dtype=torch.float16, extra: dict | None = None) -> Path:
    """Write a compact copy of a checkpoint's model (weights in ``dtype``, no optimizer) to ``dest``.

    Keeps what rebuilds and describes the model: model_args, vocab, config, history, best step and
    loss, the data hash, and ``extra`` (plain data, e.g. the command that made it). ``load_char_model``
    reads it back in float32.
    """
    ckpt = read_checkpoint(ckpt_path)
    out = {
        "format": EXPORT_FORMAT,
        "model": {k: v.to(dtype) if v.is_floating_point() else v for k, v in ckpt["model"].items()},
        "weights_dtype": str(dtype).replace("torch.", ""),
        **{k: ckpt.get(k) for k in ("model_args", "vocab", "config", "history", "step", "best_val_loss",
                                    "best_step", "data_sha256")},
        "extra": dict(extra or {}),
    }
    dest = Path(dest)
    with atomic_write(dest, "wb") as fh:
        torch.save(out, fh)
    return dest
