"""The long-range experiments of notebooks 01, 05 and 08: RNN, LSTM and GRU at equal size, tuned alike.

Every results file is written by one command and records that command, its settings, the library
versions and the date (atomic writes, saved after every setting, ``"complete": true`` at the end):

    python -m lstm_helpers.tools.experiments sweep        # results/longrange.json  (adding problem)
    python -m lstm_helpers.tools.experiments recall       # results/recall.json     (notebook 01's task)
    python -m lstm_helpers.tools.experiments card         # results/adding1997.json (the 1997 definition)
    python -m lstm_helpers.tools.experiments card16       # results/adding1997_h16.json (the same, 16 units)
    python -m lstm_helpers.tools.experiments ablations    # results/ablations.json  (Greff et al.'s variants)
    python -m lstm_helpers.tools.experiments budget       # results/budget.json     (T = 100, three times the updates)

Each (setting, length) trains every seed x learning rate at once (`seqtrain.train_stacked`). The
learning rate of a setting is chosen on the validation set (`seqtrain.select_lr`); the test set
only reports the chosen runs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import seqtrain as st
from ..utils import PROJECT_ROOT, atomic_write

ROOT = PROJECT_ROOT
MAIN_SETTINGS = ("rnn", "rnn_orth", "irnn", "lstm_fb0", "lstm_fb1", "gru")
ABLATION_SETTINGS = ("lstm_fb0", "lstm_fb1", "lstm_no_forget_gate", "lstm_no_output_tanh", "lstm_coupled_gates",
                     "lstm_no_output_gate")


@dataclass
class Config:
    """One experiment: these settings x lengths x seeds x learning rates, with one training budget."""

    task: str = "adding"
    lengths: tuple = (100, 50)
    settings: tuple = MAIN_SETTINGS
    seeds: tuple = (0, 1, 2, 3, 4)
    lrs: tuple = (3e-3, 1e-2)
    lstm_hidden: int = 16  # the other cells' sizes are matched to this LSTM's parameter count
    steps: int = 1000
    batch_size: int = 32
    max_norm: float = 1.0
    eval_every: int = 50
    n_val: int = 500
    n_test: int = 1000
    threads: int = 1
    notes: dict = field(default_factory=dict)


EXPERIMENTS = {
    "sweep": ("results/longrange.json", Config()),
    "recall": ("results/recall.json", Config(task="recall", lengths=(20, 60), steps=600, batch_size=64)),
    "card": ("results/adding1997.json", Config(task="adding1997", lengths=(100,), settings=("lstm_fb1",),
                                              lstm_hidden=4, steps=3000, batch_size=32, n_test=2560, eval_every=100,
                                              notes={"criterion": st.TASKS["adding1997"][3]})),
    "card16": ("results/adding1997_h16.json", Config(task="adding1997", lengths=(100,), settings=("lstm_fb1",),
                                                     lrs=(1e-2,), steps=2000, n_test=2560, eval_every=100,
                                                     notes={"criterion": st.TASKS["adding1997"][3]})),
    "budget": ("results/budget.json", Config(lengths=(100,), settings=("rnn_orth", "lstm_fb0", "lstm_fb1"), lrs=(1e-2,),
                                             steps=3000, eval_every=100)),
    "ablations": ("results/ablations.json", Config(lengths=(50,), settings=ABLATION_SETTINGS, lrs=(1e-2,),
                                                     steps=1000)),
}


def hidden_sizes(cfg: Config) -> dict:
    """Hidden size per setting: the LSTM's is ``cfg.lstm_hidden``, the others' match its parameter count."""
    _, D, O, _ = st.TASKS[cfg.task]
    budget = st.count_params("lstm", cfg.lstm_hidden, D, O)
    return {s: st.matched_hidden(st.SETTINGS[s]["cell"], budget, D, O) for s in cfg.settings}


def _meta(cfg: Config, name: str, command: str) -> dict:
    return {"experiment": name, "command": command, "settings": asdict(cfg), "task_success": st.TASKS[cfg.task][3],
            "descriptions": {s: st.SETTINGS[s]["what"] for s in cfg.settings},
            "selection": {"split": "validation", "rule": "lowest median final validation loss over seeds",
                          "val_seed": st.VAL_SEED, "test_seed": st.TEST_SEED},
            "versions": {"python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__},
            "platform": platform.platform(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def _train_one(cfg: Config, setting: str, length: int, hidden: int) -> tuple[list[dict], float]:
    """One (setting, length): every seed x learning rate, each run marked ``chosen`` or not."""
    torch.set_num_threads(cfg.threads)
    t0 = time.perf_counter()
    runs = st.train_stacked(setting, cfg.task, length, seeds=cfg.seeds, lrs=cfg.lrs, steps=cfg.steps,
                            hidden=hidden, batch_size=cfg.batch_size, max_norm=cfg.max_norm,
                            eval_every=cfg.eval_every, n_val=cfg.n_val, n_test=cfg.n_test)
    lr = st.select_lr(runs)
    for r in runs:
        r["chosen"] = r["lr"] == lr
    return runs, time.perf_counter() - t0


def run(name: str, cfg: Config, *, out_path=None, command: str = "", verbose: bool = False, jobs: int = 1) -> dict:
    """Train every (setting, length) of ``cfg``; choose each one's learning rate on validation; save as it goes.

    ``jobs`` > 1 trains that many (setting, length) pairs at once in separate processes; the
    results are the same, in the same order, as with one.
    """
    for s in cfg.settings:
        if s not in st.SETTINGS:
            raise ValueError(f"settings: expected names from {sorted(st.SETTINGS)}, got {s!r}")
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs: expected an int >= 1, got {jobs!r}")
    old_threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    try:
        start = time.perf_counter()
        hidden = hidden_sizes(cfg)
        out = _meta(cfg, name, command)
        out.update(complete=False, hidden_sizes=hidden, runs=[], chosen_lr={})
        order = [(setting, length) for length in cfg.lengths for setting in cfg.settings]
        done = {}

        def record(key, runs, seconds):
            done[key] = runs
            out["runs"] = [r for k in order if k in done for r in done[k]]
            out["chosen_lr"] = {f"{s}@{L}": next(r["lr"] for r in done[(s, L)] if r["chosen"])
                                for s, L in order if (s, L) in done}
            out["wall_time_s"] = round(time.perf_counter() - start, 1)
            if verbose:
                ok = sum(r["solved"] for r in runs if r["chosen"])
                print(f"{key[0]:>20s} T={key[1]:<4d} lr {out['chosen_lr'][f'{key[0]}@{key[1]}']:g}: "
                      f"{ok}/{len(cfg.seeds)} solved ({seconds:.0f} s)", flush=True)
            if out_path is not None:
                save_results(out, out_path)

        if jobs == 1:
            for key in order:
                record(key, *_train_one(cfg, key[0], key[1], hidden[key[0]]))
        else:
            import concurrent.futures as cf
            import multiprocessing as mp

            with cf.ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as pool:
                futures = {pool.submit(_train_one, cfg, s, L, hidden[s]): (s, L) for s, L in order}
                for fut in cf.as_completed(futures):
                    record(futures[fut], *fut.result())
        out["complete"] = True
        out["wall_time_s"] = round(time.perf_counter() - start, 1)
        if out_path is not None:
            save_results(out, out_path)
        return out
    finally:
        torch.set_num_threads(old_threads)


# ----------------------------------------------------------------------------------------------
# Results files and what the notebooks read from them


def save_results(results: dict, path) -> Path:
    """Write ``results`` as JSON atomically (a crash never leaves half a file)."""
    path = Path(path)
    with atomic_write(path, "w") as fh:
        json.dump(results, fh, indent=1)
        fh.write("\n")
    return path


class MissingResults(FileNotFoundError, ValueError):
    """A results file that is not there (a FileNotFoundError, and a ValueError about the argument)."""


def load_results(path, command: str = "python -m lstm_helpers.tools.experiments <experiment>") -> dict:
    """Read a results file; a relative path is tried from the repository root too. ``command`` is what a
    missing file's message says makes it."""
    path = Path(path)
    if not path.is_file() and not path.is_absolute() and (ROOT / path).is_file():
        path = ROOT / path
    if not path.is_file():
        raise MissingResults(f"path: expected a results file, {path} does not exist: no results file here; "
                             f"`{command}` writes it")
    return json.loads(path.read_text())


def chosen_runs(results: dict, setting: str, length: int) -> list[dict]:
    """The runs of ``setting`` at ``length`` with the learning rate the validation set chose (one per seed)."""
    return [r for r in results["runs"] if r["setting"] == setting and r["length"] == length and r["chosen"]]


def summary(results: dict) -> list[dict]:
    """One row per (setting, length): chosen lr, seeds solved with a 95 % Wilson interval, median updates to solve."""
    s = results["settings"]
    rows = []
    for length in s["lengths"]:
        for setting in s["settings"]:
            runs = chosen_runs(results, setting, length)
            if not runs:
                continue
            k, n = sum(r["solved"] for r in runs), len(runs)
            lo, hi = st.wilson_interval(k, n)
            first = [r["first_solved_step"] for r in runs if r["first_solved_step"] is not None]
            rows.append({"setting": setting, "length": length, "lr": runs[0]["lr"], "hidden": runs[0]["hidden"],
                         "n_params": runs[0]["n_params"], "n_solved": k, "n_seeds": n, "ci_low": lo, "ci_high": hi,
                         "median_test_loss": float(np.median([r["test_loss"] for r in runs])),
                         "median_test_acc": float(np.median([r["test_acc"] for r in runs])),
                         "median_first_solved": float(np.median(first)) if first else None,
                         "any_lr_solved": sum(r["solved"] for r in results["runs"]
                                              if r["setting"] == setting and r["length"] == length)})
    return rows


def solved_count(results: dict, setting: str, length: int) -> int:
    """Seeds of ``setting`` at ``length`` that passed the success line with the chosen learning rate."""
    return sum(r["solved"] for r in chosen_runs(results, setting, length))


def format_summary(results: dict) -> str:
    """The summary as a fixed-width table (the notebooks print it)."""
    lines = [f"{'setting':>20s} {'T':>4s} {'params':>6s} {'lr':>6s} {'solved':>7s} {'95% CI':>12s} "
             f"{'median updates':>15s}"]
    for r in summary(results):
        med = "-" if r["median_first_solved"] is None else f"{r['median_first_solved']:.0f}"
        lines.append(f"{r['setting']:>20s} {r['length']:4d} {r['n_params']:6d} {r['lr']:6g} "
                     f"{r['n_solved']:>4d}/{r['n_seeds']} {r['ci_low']:5.2f}-{r['ci_high']:4.2f} {med:>15s}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Command line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", choices=sorted(EXPERIMENTS))
    parser.add_argument("--out", help="results file (default: the experiment's file under results/)")
    parser.add_argument("--steps", type=int, help="most updates per run (overrides the default)")
    parser.add_argument("--seeds", type=int, nargs="+", help="seeds (overrides the default)")
    parser.add_argument("--lengths", type=int, nargs="+", help="sequence lengths (overrides the default)")
    parser.add_argument("--threads", type=int, help="torch threads (default 1)")
    parser.add_argument("--jobs", type=int, default=1, help="train this many settings at once (processes)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    default_out, cfg = EXPERIMENTS[args.experiment]
    changes = {k: v for k, v in (("steps", args.steps), ("threads", args.threads)) if v is not None}
    if args.seeds:
        changes["seeds"] = tuple(args.seeds)
    if args.lengths:
        changes["lengths"] = tuple(args.lengths)
    cfg = Config(**{**asdict(cfg), **changes})
    out = args.out or str(ROOT / default_out)
    command = "python -m lstm_helpers.tools.experiments " + " ".join(sys.argv[1:] if argv is None else argv)
    results = run(args.experiment, cfg, out_path=out, command=command, verbose=not args.quiet, jobs=args.jobs)
    print(f"wrote {out} ({results['wall_time_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
