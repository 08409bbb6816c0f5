"""The training command: ``python -m lstm_helpers.train`` (or ``torchrun --nproc_per_node=K -m lstm_helpers.train``).

Every argument, the corpus and the output folders are checked before any training; errors are one line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import torch

from lstm_helpers.checkpoint import CheckpointError, export_model, read_checkpoint
from lstm_helpers.data import CharVocab, DownloadError, load_corpus, train_val_split
from lstm_helpers.models import IMPLS, CharLSTM
from lstm_helpers.train import (AMP_MODES, PRESETS, TrainConfig, count_parameters, evaluate, get_preset,
                                load_char_model, precision_policy, train)
from lstm_helpers.utils import atomic_write, get_device, quick_mode

class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage block)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _int_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an int >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an int >= {minimum}, got {value}")
        return value
    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {value:g}")
    return value


def check_writable_dir(path) -> Path:
    """Create folder ``path`` if needed and prove a file can be written in it; ValueError if not."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ValueError(f"cannot write to folder {str(path)!r} ({exc.strerror or type(exc).__name__})") from None
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m lstm_helpers.train", description="Train a character-level LSTM.")
    parser.add_argument("--corpus", default="pystdlib", help="pystdlib (offline), tinyshakespeare, or a text file")
    parser.add_argument("--data-dir", default=None, help="folder holding (or to download) tinyshakespeare.txt")
    parser.add_argument("--preset", default="tiny" if quick_mode() else "cpu", choices=sorted(PRESETS))
    parser.add_argument("--out", default=None, help="folder for last.pt and best.pt (default checkpoints/<corpus>_<preset>)")
    parser.add_argument("--max-seconds", type=_positive_float, default=None,
                        help="stop after this much training time (the schedule still ends at max_steps)")
    parser.add_argument("--max-steps", type=_int_at_least(1), default=None)
    parser.add_argument("--impl", choices=IMPLS, default=None, help="LSTM implementation (default: the preset's)")
    parser.add_argument("--device", choices=("cuda", "mps", "cpu"), default=None)
    parser.add_argument("--amp", choices=AMP_MODES, default=None,
                        help="precision around the fp32 LSTM (default: the preset's, 'auto': what the device supports)")
    parser.add_argument("--seed", type=_int_at_least(0), default=None)
    parser.add_argument("--threads", type=_int_at_least(1), default=None, help="torch CPU threads")
    parser.add_argument("--resume", action="store_true", help="continue from <out>/last.pt if it exists")
    parser.add_argument("--sample", type=_int_at_least(0), default=200, help="characters to sample from the best model")
    parser.add_argument("--export", default=None, help="also write the best model, weights in fp16, to this file "
                                                      "(with history.json next to it)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar; one log line per evaluation")
    return parser


def main(argv=None) -> dict:
    """The command line: every argument, the corpus and the output folders are checked before training."""
    parser = build_parser()
    args = parser.parse_args(argv)
    rank, world = _init_distributed()
    say = print if rank == 0 else (lambda *a, **k: None)
    try:  # everything that can be wrong is checked here, before any training
        overrides = {k: v for k, v in (("max_seconds", args.max_seconds), ("max_steps", args.max_steps),
                                       ("impl", args.impl), ("seed", args.seed), ("amp", args.amp)) if v is not None}
        cfg = get_preset(args.preset, **overrides)
        if args.threads:
            torch.set_num_threads(args.threads)
        if world > 1 and torch.cuda.is_available() and args.device in (None, "cuda"):
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        else:
            device = get_device(args.device, verbose=False)
        precision_policy(device, amp=cfg.amp)  # e.g. --amp bf16 where the device has no bf16: say so now
        out = Path(args.out) if args.out else Path("checkpoints") / f"{Path(args.corpus).stem}_{args.preset}"
        check_writable_dir(out)
        if args.export:
            check_writable_dir(Path(args.export).parent)
        text = load_corpus(args.corpus, data_dir=args.data_dir)
        vocab = CharVocab(text)
        train_ids, val_ids = train_val_split(torch.from_numpy(vocab.encode(text)))
        if args.resume and (out / "last.pt").is_file():
            read_checkpoint(out / "last.pt")  # unreadable or foreign: say so now (train() checks the rest)
        elif (out / "last.pt").is_file():
            raise ValueError(f"--out: {str(out)!r} already holds a run (last.pt); pass --resume to continue it, "
                             "or choose another folder")
    except (ValueError, DownloadError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    say(f"device: {device}" + (f" x {world} processes" if world > 1 else ""))
    say(f"corpus: {args.corpus}, {len(text):,} chars, vocabulary {len(vocab)}, "
        f"{len(train_ids):,} train / {len(val_ids):,} val tokens")
    torch.manual_seed(cfg.seed)  # the same initial weights in every process
    model = CharLSTM(len(vocab), cfg.hidden_size, cfg.num_layers, cfg.emb_size, cfg.dropout, cfg.impl).to(device)
    say(f"model: CharLSTM {cfg.num_layers} x {cfg.hidden_size} ({cfg.impl}), parameters: {count_parameters(model):,}")
    say(f"config: {asdict(cfg)}")
    try:
        history = train(model, train_ids, val_ids, cfg, out_dir=out, resume=args.resume, device=device,
                        progress=not args.no_progress and rank == 0, vocab=vocab,
                        log=(lambda line: print(line, flush=True)) if args.no_progress and rank == 0 else None)
    except CheckpointError as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    best_path = out / "best.pt"
    if rank == 0 and history["eval_loss"]:
        best = min(range(len(history["eval_loss"])), key=history["eval_loss"].__getitem__)
        say(f"best validation loss: {history['eval_loss'][best]:.4f} nats/char at step "
            f"{history['eval_step'][best]} ({history['elapsed'][best]:.1f} s of training)")
        say(f"tokens per second: {statistics.median(history['tokens_per_sec']):,.0f} "
            "(median over evaluation intervals, training steps only)")
    say(f"checkpoints: {out / 'last.pt'}, {best_path if best_path.is_file() else 'no best.pt written'}")
    if rank == 0 and args.export and best_path.is_file():
        _export(best_path, Path(args.export), val_ids, cfg, device, argv, args)
    if rank == 0 and args.sample and best_path.is_file():
        best_model, _, _ = load_char_model(best_path, device)
        g = torch.Generator().manual_seed(cfg.seed)
        start = vocab.encode(text[0])
        say("sample (temperature 0.8):\n" + vocab.decode(best_model.generate(start, args.sample, temperature=0.8,
                                                                              generator=g)))
    if world > 1:
        torch.distributed.destroy_process_group()
    return history


def _export(best_path: Path, dest: Path, val_ids, cfg: TrainConfig, device, argv, args) -> None:
    """Write the compact model and its history.json; report its loss with the fp16-rounded weights."""
    tmp = dest.with_name(dest.name + ".fp32check")
    export_model(best_path, tmp)
    model, _, _ = load_char_model(tmp, device)
    tmp.unlink()
    loss = evaluate(model, val_ids.to(device), seq_len=cfg.seq_len, batch_size=cfg.batch_size)
    command = "python -m lstm_helpers.train " + " ".join(sys.argv[1:] if argv is None else argv)
    extra = {"command": command, "corpus": args.corpus, "eval_loss_exported": loss,
             "eval_split": "last 10% of the corpus (nanoGPT's split), whole, windows of seq_len from a zero state",
             "torch": str(torch.__version__), "python": platform.python_version(),
             "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    export_model(best_path, dest, extra=extra)
    ckpt = read_checkpoint(best_path)
    with atomic_write(dest.with_name("history.json"), "w") as fh:
        json.dump({"history": ckpt["history"], "best_step": ckpt["best_step"], "best_val_loss": ckpt["best_val_loss"],
                   **extra}, fh, indent=1)
    print(f"exported: {dest} ({dest.stat().st_size / 1e6:.2f} MB, fp16 weights); validation loss with "
          f"them: {loss:.4f} nats/char")


def _init_distributed():
    """Under torchrun (WORLD_SIZE > 1): join the process group (NCCL on GPUs, gloo on CPUs)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return 0, 1
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    torch.distributed.init_process_group(backend)
    return torch.distributed.get_rank(), torch.distributed.get_world_size()




if __name__ == "__main__":
    main()
