"""The long-range experiments of notebooks 01, 05 and 08: RNN, LSTM and GRU at equal size, tuned alike.

Every results file is written by one command and records that command, its settings, the library
versions and the date (atomic writes, saved after every setting, ``"complete": true`` at the end):

    python -m lstm_helpers.tools.experiments sweep --jobs 2   # results/longrange.json (adding problem, T = 50-400)
    python -m lstm_helpers.tools.experiments recall           # results/recall.json    (notebook 01's task, forget bias 0/1/3)
    python -m lstm_helpers.tools.experiments recall_var       # results/recall_var.json (the same, each lag its own length)
    python -m lstm_helpers.tools.experiments card16           # results/adding1997_h16.json (the 1997 definition, online)
    python -m lstm_helpers.tools.experiments card             # results/adding1997.json (the same, 4 units)
    python -m lstm_helpers.tools.experiments ablations        # results/ablations.json (Greff et al.'s variants)

Each (setting, length) trains every seed x learning rate at once (`seqtrain.train_stacked`); with
``retire`` each run stops on its own once it is past the success line on validation, so a budget is
an upper bound that only runs which have not learned use up. The learning rate of a setting is chosen
on the validation set (`seqtrain.select_lr`); the test set only reports the chosen runs. `--resume`
continues an unfinished file. `lstm_helpers.results` reads the files.
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
from ..results import (MissingResults, chosen_runs, format_summary, load_results, solved_count,  # noqa: F401
                       summary)
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
    steps_by_length: dict = field(default_factory=dict)  # {str(length): updates}; a length not listed gets `steps`
    retire: bool = False  # each run stops on its own once past the line (seqtrain.train_stacked)

    def budget(self, length: int) -> int:
        """The most updates a run at ``length`` gets."""
        return int(self.steps_by_length.get(str(length), self.steps))


LR_GRID = (1e-3, 3e-3, 1e-2, 3e-2)  # every setting of an experiment gets the whole grid
RECALL_SETTINGS = ("rnn_orth", "irnn", "lstm_fb0", "lstm_fb1", "lstm_fb3", "gru")
CARD_NOTES = {"criterion": st.TASKS["adding1997"][3],
              "updates": "online, as in 1997: one sequence per update (batch_size 1)"}

EXPERIMENTS = {
    "sweep": ("results/longrange.json", Config(lengths=(50, 100, 200, 400), lrs=LR_GRID, eval_every=100, retire=True,
                                               steps_by_length={"50": 3000, "100": 4000, "200": 6000,
                                                                "400": 8000})),
    "recall": ("results/recall.json", Config(task="recall", lengths=(20, 60), settings=RECALL_SETTINGS, lrs=LR_GRID,
                                             steps=4000, steps_by_length={"20": 10000}, batch_size=64, eval_every=50,
                                             retire=True)),
    "recall_var": ("results/recall_var.json", Config(task="recall_var", lengths=(20, 60),
                                                     settings=("rnn_orth", "irnn", "lstm_fb3"), lrs=LR_GRID,
                                                     steps=4000, batch_size=64, eval_every=50, retire=True)),
    "card": ("results/adding1997.json", Config(task="adding1997", lengths=(100,), settings=("lstm_fb1",),
                                              lstm_hidden=4, lrs=(1e-3, 3e-3), steps=100_000, batch_size=1,
                                              n_test=2560, eval_every=5000, retire=True, notes=CARD_NOTES)),
    "card16": ("results/adding1997_h16.json", Config(task="adding1997", lengths=(100,), settings=("lstm_fb1",),
                                                     lrs=(1e-3, 3e-3), steps=100_000, batch_size=1, n_test=2560,
                                                     eval_every=5000, retire=True, notes=CARD_NOTES)),
    "ablations": ("results/ablations.json", Config(lengths=(50,), settings=ABLATION_SETTINGS, lrs=LR_GRID,
                                                     steps=3000, eval_every=50, retire=True)),
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
    t0 = time.process_time()
    runs = st.train_stacked(setting, cfg.task, length, seeds=cfg.seeds, lrs=cfg.lrs, steps=cfg.budget(length),
                            hidden=hidden, batch_size=cfg.batch_size, max_norm=cfg.max_norm,
                            eval_every=cfg.eval_every, n_val=cfg.n_val, n_test=cfg.n_test, retire=cfg.retire,
                            stop_when_all_solved=not cfg.retire)
    lr = st.select_lr(runs)
    for r in runs:
        r["chosen"] = r["lr"] == lr
    return runs, time.process_time() - t0  # CPU seconds of this process


def _same_plan(old: dict, new: dict, runs: list[dict]) -> bool:
    """Whether the runs of an unfinished file were trained as ``new`` would train them: the same settings,
    and the same budget for every length they cover (a length not yet run may get another budget)."""
    keys = set(old) | set(new)
    if any(old.get(k) != new.get(k) for k in keys - {"steps_by_length"}):
        return False
    old_cfg, new_cfg = Config(**{**old, "lengths": tuple(old["lengths"])}), Config(**{**new, "lengths": tuple(new["lengths"])})
    return all(old_cfg.budget(L) == new_cfg.budget(L) for L in {r["length"] for r in runs})


def run(name: str, cfg: Config, *, out_path=None, command: str = "", verbose: bool = False, jobs: int = 1,
        resume: bool = False) -> dict:
    """Train every (setting, length) of ``cfg``; choose each one's learning rate on validation; save as it goes.

    ``jobs`` > 1 trains that many (setting, length) pairs at once in separate processes; the
    results are the same, in the same order, as with one. ``resume`` keeps the (setting, length)
    pairs an unfinished ``out_path`` of the same settings already holds and trains only the rest.
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
        cpu_s = {}
        if resume and out_path is not None and Path(out_path).is_file():
            old = json.loads(Path(out_path).read_text())
            if _same_plan(old.get("settings", {}), json.loads(json.dumps(out["settings"])), old["runs"]):
                for r in old["runs"]:
                    done.setdefault((r["setting"], r["length"]), []).append(r)
                cpu_s = {(k.split("@")[0], int(k.split("@")[1])): v for k, v in old.get("cpu_s", {}).items()}

        def record(key, runs, seconds):
            done[key] = runs
            cpu_s[key] = round(seconds, 1)
            out["cpu_s"] = {f"{s}@{L}": cpu_s[(s, L)] for s, L in order if (s, L) in cpu_s}
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

        todo = [key for key in order if key not in done]
        if done:
            out["runs"] = [r for k in order if k in done for r in done[k]]
            out["chosen_lr"] = {f"{s}@{L}": next(r["lr"] for r in done[(s, L)] if r["chosen"])
                                for s, L in order if (s, L) in done}
            out["cpu_s"] = {f"{s}@{L}": cpu_s[(s, L)] for s, L in order if (s, L) in cpu_s}
        if jobs == 1:
            for key in todo:
                record(key, *_train_one(cfg, key[0], key[1], hidden[key[0]]))
        else:
            import concurrent.futures as cf
            import multiprocessing as mp

            with cf.ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as pool:
                futures = {pool.submit(_train_one, cfg, s, L, hidden[s]): (s, L) for s, L in todo}
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
# Writing results files (lstm_helpers.results reads them)


def save_results(results: dict, path) -> Path:
    """Write ``results`` as JSON atomically (a crash never leaves half a file)."""
    path = Path(path)
    with atomic_write(path, "w") as fh:
        json.dump(results, fh, indent=1)
        fh.write("\n")
    return path


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
    parser.add_argument("--resume", action="store_true", help="keep what an unfinished results file holds")
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
    results = run(args.experiment, cfg, out_path=out, command=command, verbose=not args.quiet, jobs=args.jobs,
                  resume=args.resume)
    print(f"wrote {out} ({results['wall_time_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
