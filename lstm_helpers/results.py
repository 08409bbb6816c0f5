"""Reading the committed results files, and the statistics the notebooks state about them.

A results file (``results/*.json``) holds one experiment: its command, settings and versions, and one
dict per run (``setting``, ``length``, ``seed``, ``lr``, ``chosen``, ``solved``, ``first_solved_step``,
``history``, ...). `lstm_helpers.tools.experiments` writes them; this module only reads.

The tests here are exact and say which test they are:

- `wilson_interval`: a 95 % interval for a success rate (k of n seeds);
- `sign_test`: paired yes/no outcomes (runs that share a seed share their batches), exact binomial;
- `signed_rank_test`: paired numbers (updates to solve), exact Wilcoxon signed-rank over all 2^n signs;
- `holm`: Holm's correction when a comparison was picked from several.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np

from .seqtrain import wilson_interval
from .utils import PROJECT_ROOT

__all__ = ["MissingResults", "load_results", "chosen_runs", "runs_of", "solved_count", "summary", "format_summary",
           "budget_check", "paired_outcomes", "sign_test", "signed_rank_test", "holm", "wilson_interval"]


class MissingResults(FileNotFoundError, ValueError):
    """A results file that is not there (a FileNotFoundError, and a ValueError about the argument)."""


def load_results(path, command: str = "python -m lstm_helpers.tools.experiments <experiment>") -> dict:
    """Read a results file; a relative path is tried from the repository root too. ``command`` is what a
    missing file's message says makes it."""
    path = Path(path)
    if not path.is_file() and not path.is_absolute() and (PROJECT_ROOT / path).is_file():
        path = PROJECT_ROOT / path
    if not path.is_file():
        raise MissingResults(f"path: expected a results file, {path} does not exist: no results file here; "
                             f"`{command}` writes it")
    return json.loads(path.read_text())


def runs_of(results: dict, setting: str, length: int, lr: float | None = None) -> list[dict]:
    """Every run of ``setting`` at ``length`` (all learning rates, or only ``lr``), in seed order."""
    runs = [r for r in results["runs"] if r["setting"] == setting and r["length"] == length
            and (lr is None or r["lr"] == lr)]
    return sorted(runs, key=lambda r: (r["lr"], r["seed"]))


def chosen_runs(results: dict, setting: str, length: int) -> list[dict]:
    """The runs of ``setting`` at ``length`` with the learning rate the validation set chose (one per seed)."""
    return sorted((r for r in results["runs"] if r["setting"] == setting and r["length"] == length and r["chosen"]),
                  key=lambda r: r["seed"])


def solved_count(results: dict, setting: str, length: int, lr: float | None = None) -> int:
    """Seeds of ``setting`` at ``length`` that passed the success line: with the chosen learning rate, or with ``lr``."""
    runs = chosen_runs(results, setting, length) if lr is None else runs_of(results, setting, length, lr)
    return sum(r["solved"] for r in runs)


def summary(results: dict) -> list[dict]:
    """One row per (setting, length): chosen lr, seeds solved with a 95 % Wilson interval, updates to solve
    (median, fewest and most over the seeds that solved), the budget, and how many runs of any lr solved."""
    s = results["settings"]
    rows = []
    for length in s["lengths"]:
        for setting in s["settings"]:
            runs = chosen_runs(results, setting, length)
            if not runs:
                continue
            k, n = sum(r["solved"] for r in runs), len(runs)
            lo, hi = wilson_interval(k, n)
            first = [r["first_solved_step"] for r in runs if r["first_solved_step"] is not None and r["solved"]]
            rows.append({"setting": setting, "length": length, "lr": runs[0]["lr"], "hidden": runs[0]["hidden"],
                         "n_params": runs[0]["n_params"], "n_solved": k, "n_seeds": n, "ci_low": lo, "ci_high": hi,
                         "median_test_loss": float(np.median([r["test_loss"] for r in runs])),
                         "median_test_acc": float(np.median([r["test_acc"] for r in runs])),
                         "median_first_solved": float(np.median(first)) if first else None,
                         "min_first_solved": min(first) if first else None,
                         "max_first_solved": max(first) if first else None,
                         "budget": runs[0]["max_steps"],
                         "any_lr_solved": sum(r["solved"] for r in results["runs"]
                                              if r["setting"] == setting and r["length"] == length),
                         "n_runs": sum(1 for r in results["runs"] if r["setting"] == setting and r["length"] == length)})
    return rows


def format_summary(results: dict, lengths=None) -> str:
    """The summary as a fixed-width table (the notebooks print it); ``lengths`` picks some lengths."""
    lines = [f"{'setting':>20s} {'T':>4s} {'params':>6s} {'lr':>6s} {'solved':>7s} {'95% CI':>10s} "
             f"{'updates to solve':>17s} {'budget':>7s} {'any lr':>7s}",
             f"{'':>20s} {'':>4s} {'':>6s} {'':>6s} {'':>7s} {'':>10s} {'median (range)':>17s} {'':>7s} {'':>7s}"]
    for r in summary(results):
        if lengths is not None and r["length"] not in lengths:
            continue
        med = "-" if r["median_first_solved"] is None else \
            f"{r['median_first_solved']:.0f} ({r['min_first_solved']}-{r['max_first_solved']})"
        lines.append(f"{r['setting']:>20s} {r['length']:4d} {r['n_params']:6d} {r['lr']:6g} "
                     f"{r['n_solved']:>4d}/{r['n_seeds']} {r['ci_low']:4.2f}-{r['ci_high']:4.2f} {med:>17s} "
                     f"{r['budget']:7d} {r['any_lr_solved']:>3d}/{r['n_runs']}")
    return "\n".join(lines)


def budget_check(results: dict) -> dict:
    """Per length: the budget, the slowest solving setting and its median updates to solve, and whether the
    budget is at least twice that median (the rule: a budget cut is not a result)."""
    rows = summary(results)
    out = {}
    for length in results["settings"]["lengths"]:
        here = [r for r in rows if r["length"] == length]
        if not here:
            continue
        solving = [r for r in here if r["median_first_solved"] is not None]
        budget = min(r["budget"] for r in here)
        slowest = max(solving, key=lambda r: r["median_first_solved"]) if solving else None
        median = slowest["median_first_solved"] if slowest else None
        out[length] = {"budget": budget, "slowest": slowest["setting"] if slowest else None, "median": median,
                       "ok": median is None or budget >= 2 * median}
    return out


def paired_outcomes(results: dict, a: str, b: str, lengths=None) -> tuple[int, int, int]:
    """Pairs (length, seed) of the chosen runs of ``a`` and ``b``: (a solved and b not, b solved and a not, ties).

    Runs of one seed see the same batches whatever the setting, so they are compared as pairs."""
    lengths = results["settings"]["lengths"] if lengths is None else lengths
    only_a = only_b = ties = 0
    for length in lengths:
        ra = {r["seed"]: r["solved"] for r in chosen_runs(results, a, length)}
        rb = {r["seed"]: r["solved"] for r in chosen_runs(results, b, length)}
        for seed in sorted(ra.keys() & rb.keys()):
            only_a += ra[seed] and not rb[seed]
            only_b += rb[seed] and not ra[seed]
            ties += ra[seed] == rb[seed]
    return only_a, only_b, ties


def sign_test(wins: int, losses: int, alternative: str = "greater") -> float:
    """Exact sign test (binomial, p = 1/2) on the discordant pairs; ties are left out (McNemar's exact test).

    ``alternative`` 'greater': P(at least ``wins`` of ``wins + losses``); 'two-sided': twice the smaller tail, at most 1.
    """
    for name, v in (("wins", wins), ("losses", losses)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
            raise ValueError(f"{name}: expected an int >= 0, got {v!r}")
    if alternative not in ("greater", "two-sided"):
        raise ValueError(f"alternative: expected 'greater' or 'two-sided', got {alternative!r}")
    n = wins + losses
    if n == 0:
        return 1.0
    upper = sum(math.comb(n, k) for k in range(wins, n + 1)) / 2 ** n
    if alternative == "greater":
        return upper
    lower = sum(math.comb(n, k) for k in range(0, wins + 1)) / 2 ** n
    return min(1.0, 2 * min(upper, lower))


def signed_rank_test(x, y, alternative: str = "less") -> float:
    """Exact Wilcoxon signed-rank test of paired numbers x[i], y[i] (for example updates to solve, seed by seed).

    The statistic is the sum of the ranks of |x - y| over pairs with x > y (zero differences left out,
    tied ranks averaged); the p-value counts all 2^n sign patterns. 'less': x tends to be smaller than y.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x, y: expected two 1-d sequences of one length, got shapes {x.shape} and {y.shape}")
    if alternative not in ("less", "greater", "two-sided"):
        raise ValueError(f"alternative: expected 'less', 'greater' or 'two-sided', got {alternative!r}")
    d = x - y
    d = d[d != 0]
    if len(d) == 0:
        return 1.0
    order = np.argsort(np.abs(d))
    ranks = np.empty(len(d))
    absd = np.abs(d)[order]
    i = 0
    while i < len(d):  # average the ranks of ties
        j = i
        while j + 1 < len(d) and absd[j + 1] == absd[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    observed = ranks[d > 0].sum()
    stats = np.array([sum(r for r, s in zip(ranks, signs) if s) for signs in itertools.product((0, 1), repeat=len(d))])
    less, greater = float(np.mean(stats <= observed + 1e-9)), float(np.mean(stats >= observed - 1e-9))
    if alternative == "less":
        return less
    if alternative == "greater":
        return greater
    return min(1.0, 2 * min(less, greater))


def holm(p_values) -> list[float]:
    """Holm's step-down correction of several p-values (family-wise error), in the order given."""
    p = [float(v) for v in p_values]
    order = sorted(range(len(p)), key=lambda i: p[i])
    out, running = [0.0] * len(p), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        out[i] = running
    return out
