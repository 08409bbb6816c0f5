"""Notebook 11's two long runs: timing minLSTM against the LSTM over T = 64 .. 8192, and the parity sweep.

    python -m lstm_helpers.tools.lstm_today bench            # -> results/lstm_today_bench.json
    python -m lstm_helpers.tools.lstm_today state_tracking   # -> results/state_tracking.json

Both write JSON atomically, with the command, versions, date and machine, after every finished
row, so an interrupted run leaves a readable file ("complete": false). Times are the minimum over
repeats of the process's CPU time: on a shared machine wall-clock time also measures the neighbours.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import state_tracking as st
from ..minlstm import MinLSTM
from ..torch_lstm import LSTM as LoopLSTM
from .experiments import load_results as _load_results, save_results  # one reader and one writer for results/

BENCH_PATH = Path("results/lstm_today_bench.json")
STATE_PATH = Path("results/state_tracking.json")
METHODS = {
    "minlstm_parallel": "minLSTM, log-space parallel scan (torch.logcumsumexp)",
    "minlstm_sequential": "minLSTM, the same layer step by step (Python loop)",
    "nn_lstm": "torch.nn.LSTM (one fused C++ loop over time)",
    "loop_lstm": "LSTM written in Python, one step per loop iteration (torch_lstm.LSTM)",
}


def _meta(command: str, settings: dict) -> dict:
    return {"command": command, "settings": settings,
            "versions": {"python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__},
            "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def load_results(path) -> dict:
    """Read a results file written by this command (the series' one results reader)."""
    return _load_results(path, command="python -m lstm_helpers.tools.lstm_today")


# ----------------------------------------------------------------------------------------------
# Timing


@dataclass
class BenchConfig:
    lengths: tuple = (64, 128, 256, 512, 1024, 2048, 4096, 8192)
    batch_size: int = 8
    input_size: int = 64
    hidden_size: int = 64
    repeats: int = 5
    threads: int = 1
    backward: bool = True
    device: str = "cpu"


def _make(method: str, D: int, H: int) -> nn.Module:
    if method.startswith("minlstm"):
        return MinLSTM(D, H)
    if method == "nn_lstm":
        return nn.LSTM(D, H, batch_first=True)
    return LoopLSTM(D, H, batch_first=True)


def time_once(method: str, model: nn.Module, x: torch.Tensor, backward: bool) -> tuple[float, float]:
    """Seconds for one forward (and backward of the summed output) of ``model`` on ``x``: (wall, cpu).

    cpu is the process's CPU time (`time.process_time`): on a machine shared with other jobs it
    leaves out the time this process waited for a core, which wall-clock time includes.
    """
    for p in model.parameters():
        p.grad = None
    cuda = x.device.type == "cuda"
    if cuda:
        torch.cuda.synchronize()
    t0, c0 = time.perf_counter(), time.process_time()
    if method.startswith("minlstm"):
        out = model(x, mode=method.split("_")[1])
    else:
        out = model(x)[0]
    if backward:
        out.sum().backward()
    if cuda:  # GPU calls return before the work is done
        torch.cuda.synchronize()
    return time.perf_counter() - t0, time.process_time() - c0


def run_bench(cfg: BenchConfig, *, verbose=False, command="", out_path=None) -> dict:
    """Time every method at every length: the minimum over ``repeats`` after one warm-up call.

    Each row holds, per method, the minimum CPU time (on a GPU: wall-clock time, as the GPU's work
    is not the process's CPU time) and, under ``<method>_wall``, the minimum wall-clock time.
    """
    torch.set_num_threads(cfg.threads)
    out = _meta(command, asdict(cfg))
    if cfg.device.startswith("cuda"):
        out["gpu"] = torch.cuda.get_device_name(torch.device(cfg.device))
    out.update(experiment="lstm_today_bench", complete=False, methods=METHODS, rows=[],
               note="min over repeats of the process's CPU time (wall-clock time on a GPU); "
                    "the machine was shared with other jobs while this ran")
    start = time.perf_counter()
    for T in cfg.lengths:
        torch.manual_seed(0)
        x = torch.randn(cfg.batch_size, T, cfg.input_size).to(cfg.device)
        row = {"T": T}
        for method in METHODS:
            torch.manual_seed(0)
            model = _make(method, cfg.input_size, cfg.hidden_size).to(cfg.device)
            time_once(method, model, x, cfg.backward)  # warm-up
            wall, cpu = zip(*(time_once(method, model, x, cfg.backward) for _ in range(cfg.repeats)))
            row[method] = min(wall) if x.device.type == "cuda" else min(cpu)
            row[method + "_median"] = float(np.median(wall if x.device.type == "cuda" else cpu))
            row[method + "_wall"] = min(wall)
        out["rows"].append(row)
        if verbose:
            print(f"T={T:5d} " + "  ".join(f"{m} {row[m] * 1e3:9.2f} ms" for m in METHODS), flush=True)
        out["wall_time_s"] = round(time.perf_counter() - start, 1)
        if out_path is not None:
            save_results(out, out_path)
    out["complete"] = True
    if out_path is not None:
        save_results(out, out_path)
    return out


def growth_exponent(lengths, times) -> float:
    """Slope of log(time) against log(T) over the given points: 1 means time grows linearly in T."""
    lengths, times = np.log(np.asarray(lengths, float)), np.log(np.asarray(times, float))
    if lengths.size < 2:
        raise ValueError(f"lengths: expected at least 2 points, got {lengths.size}")
    return float(np.polyfit(lengths, times, 1)[0])


def bench_table(results: dict) -> str:
    """The timing results as a plain-text table in milliseconds (minimum over repeats)."""
    methods = list(results["methods"])
    lines = [f"{'T':>6}  " + "  ".join(f"{m:>18}" for m in methods)]
    for row in results["rows"]:
        lines.append(f"{row['T']:>6}  " + "  ".join(f"{row[m] * 1e3:>15.1f} ms" for m in methods))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# State tracking


@dataclass
class StateConfig:
    lstm_hidden: int = 8
    train_length: int = 16
    test_lengths: tuple = (16, 32, 64, 128, 256, 512)
    steps: int = 2000
    batch_size: int = 64
    lrs: tuple = (3e-3, 1e-2, 3e-2)
    seeds: tuple = (0, 1, 2, 3, 4)
    n_test: int = 1000
    threads: int = 1
    kinds: tuple = field(default_factory=lambda: st.KINDS)


def run_state_tracking(cfg: StateConfig, *, verbose=False, command="", out_path=None) -> dict:
    """Train every kind x learning rate x seed; choose each kind's learning rate on validation; test longer.

    The learning rate of each kind is the one with the best mean validation accuracy (fresh data
    at the training length); test accuracy at every test length is recorded for every run, and the
    summary uses only the chosen learning rate.
    """
    torch.set_num_threads(cfg.threads)
    budget = st.count_params(st.ParityModel("lstm", cfg.lstm_hidden))
    hidden = {k: st.matched_hidden_size(k, budget) for k in cfg.kinds}
    out = _meta(command, asdict(cfg))
    out.update(experiment="state_tracking", complete=False, hidden_sizes=hidden,
               n_params={k: st.count_params(st.ParityModel(k, hidden[k])) for k in cfg.kinds}, runs=[])
    start = time.perf_counter()
    for seed in cfg.seeds:
        for kind in cfg.kinds:
            for lr in cfg.lrs:
                t0 = time.perf_counter()
                run = st.train_parity(kind, hidden_size=hidden[kind], length=cfg.train_length, steps=cfg.steps,
                                      batch_size=cfg.batch_size, lr=lr, seed=seed)
                model = run.pop("model")
                run["test"] = {str(k): v for k, v in
                               st.accuracy_by_length(model, cfg.test_lengths, n=cfg.n_test).items()}
                run["by_position"] = [round(v, 4) for v in st.accuracy_by_position(model, 64, n=cfg.n_test)]
                hist = run.pop("history")
                run["eval_step"], run["eval_acc"] = hist["eval_step"], hist["eval_acc"]
                run["wall_time_s"] = round(time.perf_counter() - t0, 1)
                out["runs"].append(run)
                if verbose:
                    print(f"seed {seed} {kind:8s} lr {lr:g}: val {run['val']['final']:.3f} "
                          f"test {run['test']} ({run['wall_time_s']} s)", flush=True)
                out["wall_time_s"] = round(time.perf_counter() - start, 1)
                if out_path is not None:
                    save_results(out, out_path)
    out["summary"] = summarise_state(out)
    out["complete"] = True
    if out_path is not None:
        save_results(out, out_path)
    return out


def summarise_state(results: dict) -> dict:
    """Per kind: the learning rate chosen on validation, and test accuracy per length (mean, min, max over seeds)."""
    summary = {}
    kinds = sorted({r["kind"] for r in results["runs"]}, key=list(st.KINDS).index)
    for kind in kinds:
        runs = [r for r in results["runs"] if r["kind"] == kind]
        lrs = sorted({r["lr"] for r in runs})
        val = {lr: float(np.mean([r["val"]["final"] for r in runs if r["lr"] == lr])) for lr in lrs}
        best = max(lrs, key=lambda lr: (val[lr], -lr))
        chosen = [r for r in runs if r["lr"] == best]
        lengths = list(chosen[0]["test"])
        summary[kind] = {"lr": best, "val_by_lr": {str(k): v for k, v in val.items()}, "n_seeds": len(chosen),
                         "test": {T: {"mean": float(np.mean([r["test"][T] for r in chosen])),
                                      "min": float(np.min([r["test"][T] for r in chosen])),
                                      "max": float(np.max([r["test"][T] for r in chosen]))} for T in lengths}}
    return summary


# ----------------------------------------------------------------------------------------------
# Command line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", choices=["bench", "state_tracking"])
    parser.add_argument("--out", help="results file (default results/lstm_today_bench.json or "
                                      "results/state_tracking.json)")
    parser.add_argument("--lengths", type=int, nargs="+", help="bench: sequence lengths")
    parser.add_argument("--repeats", type=int, help="bench: timed repeats per point (the minimum is kept)")
    parser.add_argument("--device", help="bench: torch device (default cpu; cuda times with synchronisation)")
    parser.add_argument("--steps", type=int, help="state_tracking: training steps per run")
    parser.add_argument("--seeds", type=int, nargs="+", help="state_tracking: seeds")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    command = "python -m lstm_helpers.tools.lstm_today " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.experiment == "bench":
        over = {k: v for k, v in (("repeats", args.repeats), ("device", args.device)) if v is not None}
        if args.lengths:
            over["lengths"] = tuple(args.lengths)
        res = run_bench(BenchConfig(**over), verbose=not args.quiet, command=command, out_path=args.out or BENCH_PATH)
        path = args.out or BENCH_PATH
    else:
        over = {k: v for k, v in (("steps", args.steps),) if v is not None}
        if args.seeds:
            over["seeds"] = tuple(args.seeds)
        path = args.out or STATE_PATH
        res = run_state_tracking(StateConfig(**over), verbose=not args.quiet, command=command, out_path=path)
    print(f"wrote {path} ({res['wall_time_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
