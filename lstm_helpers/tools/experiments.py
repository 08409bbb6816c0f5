"""The long-range experiments of notebook 08: the adding problem across sequence lengths, LSTM ablations.

Every run is seeded and every results file records its settings, seeds and library versions, so the
numbers the notebook shows come from one command:

    python -m lstm_helpers.tools.experiments adding --out results/adding_problem.json
    python -m lstm_helpers.tools.experiments ablations --out results/ablations.json
    python -m lstm_helpers.tools.experiments all          # both, to their default files

The task (Hochreiter & Schmidhuber 1997, experiment 4, in the form of Le et al. 2015): two of T
numbers from U(0, 1) are marked, the target is their sum. Predicting the mean, 1, gives
MSE = Var(u1 + u2) = 1/6 ~ 0.167; we count the task as solved below a test MSE of 0.04.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..data import adding_problem
from ..gradient_flow import torch_input_gradient_norms
from ..train import count_parameters
from ..utils import atomic_write

SOLVED_MSE = 0.04  # our success line; the 1997 paper's 0.04 bounded the absolute error of one sequence
MEAN_PREDICTOR_MSE = 1 / 6  # Var(u1 + u2) with u ~ U(0, 1): always answering 1.0 scores this
KINDS = ("rnn", "lstm", "gru", "scratch")  # scratch: lstm_helpers.torch_lstm.LSTM, for the ablations
TEST_SEED = 2024  # the held-out test set of each length; training batches use other seeds
ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------------------------
# Models


class AddingModel(nn.Module):
    """A recurrent layer over (N, T, D) and a linear readout of its last output: forward -> (N,).

    kind: 'rnn' (nn.RNN, tanh), 'lstm' (nn.LSTM), 'gru' (nn.GRU) or 'scratch' (our
    `torch_lstm.LSTM`, which takes ``variant``). ``forget_bias`` is added to the forget-gate bias
    of the two LSTM kinds at initialisation.
    """

    def __init__(self, kind: str, hidden_size: int, input_size: int = 2, *, variant: str = "vanilla",
                 forget_bias: float = 0.0):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
        if kind != "scratch" and variant != "vanilla":
            raise ValueError(f"variant: only kind='scratch' has variants, got variant={variant!r} with kind={kind!r}")
        if forget_bias and kind not in ("lstm", "scratch"):
            raise ValueError(f"forget_bias: only the LSTM kinds have a forget gate, got kind={kind!r}")
        self.kind, self.variant, self.forget_bias = kind, variant, float(forget_bias)
        if kind == "rnn":
            self.rnn = nn.RNN(input_size, hidden_size, nonlinearity="tanh", batch_first=True)
        elif kind == "lstm":
            self.rnn = nn.LSTM(input_size, hidden_size, batch_first=True)
            if forget_bias:
                from ..models import add_forget_bias

                add_forget_bias(self.rnn, forget_bias)
        elif kind == "gru":
            self.rnn = nn.GRU(input_size, hidden_size, batch_first=True)
        else:
            from ..torch_lstm import LSTM

            self.rnn = LSTM(input_size, hidden_size, batch_first=True, variant=variant, forget_bias=forget_bias)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)  # (N, T, H)
        return self.head(out[:, -1]).squeeze(-1)  # (N,)


def matched_hidden_size(kind: str, n_params: int, input_size: int = 2) -> int:
    """The hidden size whose `AddingModel` of ``kind`` has the parameter count closest to ``n_params``.

    Each gate block of PyTorch's layers holds H (D + H + 2) numbers (two biases); an RNN has one
    block, a GRU three and an LSTM four, and the readout adds H + 1.
    """
    blocks = {"rnn": 1, "gru": 3, "lstm": 4, "scratch": 4}
    if kind not in blocks:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")

    def count(H):
        return blocks[kind] * H * (input_size + H + 2) + H + 1

    return min(range(1, 4096), key=lambda H: (abs(count(H) - n_params), H))


# ----------------------------------------------------------------------------------------------
# Training one model on the adding problem


def _mse(model, x, y) -> float:
    with torch.no_grad():
        return float(((model(x) - y) ** 2).mean())


def first_below(steps, values, threshold=SOLVED_MSE):
    """The first step whose value is below ``threshold``, or None if none is."""
    for s, v in zip(steps, values):
        if v < threshold:
            return int(s)
    return None


def train_adding(kind: str, length: int, *, hidden_size: int, steps: int, batch_size: int = 64, lr: float = 1e-2,
                 grad_clip: float | None = 1.0, seed: int = 0, n_test: int = 1000, eval_every: int = 100,
                 log_every: int = 25, stop_below: float = 0.0, variant: str = "vanilla",
                 forget_bias: float = 0.0) -> dict:
    """Train an `AddingModel` for a fixed number of Adam steps; return its curves, final test MSE and model.

    Every step draws a fresh batch (seed ``1_000_000 * (seed + 1) + step``), so the model never sees
    the held-out test set (``n_test`` sequences of seed ``TEST_SEED``). The training loss is
    averaged over windows of ``log_every`` steps; the test MSE is measured every ``eval_every`` steps
    and at the end. Training stops early once a logged training-loss average is below
    ``stop_below`` (0: never), which saves the time of runs that have long solved the task; the
    training batches are fresh samples, so that average estimates the test error without touching
    the test set. The returned dict holds plain numbers and lists, plus the trained 'model'.
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps: expected an int >= 1, got {steps!r}")
    torch.manual_seed(seed)
    model = AddingModel(kind, hidden_size, variant=variant, forget_bias=forget_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    x_test, y_test = (torch.from_numpy(a) for a in adding_problem(n_test, length, seed=TEST_SEED))
    baseline = float(((y_test - 1.0) ** 2).mean())  # the mean predictor on the same test set
    curve = {"step": [], "train_loss": [], "eval_step": [0], "test_mse": [_mse(model, x_test, y_test)]}
    window, last = [], steps
    for step in range(1, steps + 1):
        # batch
        xb, yb = (torch.from_numpy(a) for a in adding_problem(batch_size, length, seed=1_000_000 * (seed + 1) + step))
        # forward, backward, clip, step
        loss = ((model(xb) - yb) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        opt.step()
        # log
        window.append(loss.item())
        stop = False
        if step % log_every == 0 or step == steps:
            curve["step"].append(step)
            curve["train_loss"].append(float(np.mean(window)))
            window = []
            stop = curve["train_loss"][-1] < stop_below
        if step % eval_every == 0 or step == steps or stop:
            curve["eval_step"].append(step)
            curve["test_mse"].append(_mse(model, x_test, y_test))
        if stop:
            last = step
            break
    final = curve["test_mse"][-1]
    return {"kind": kind, "variant": variant, "forget_bias": float(forget_bias), "length": length, "seed": seed,
            "hidden_size": hidden_size, "n_params": count_parameters(model), "steps": last, "max_steps": steps,
            "final_test_mse": final, "baseline_mse": baseline, "solved": bool(final < SOLVED_MSE),
            "first_solved_step": first_below(curve["eval_step"], curve["test_mse"]),
            "curve": curve, "model": model}


def marked_value_sensitivity(model: AddingModel, x: np.ndarray) -> tuple[float, float]:
    """Mean d(prediction)/d(marked value), for the first and the second marked number.

    The answer is u1 + u2, so a model that solves the task has both near 1; a model that forgot
    the first number has the first near 0. x: (N, T, 2) from `adding_problem`.
    """
    xt = torch.as_tensor(x).clone().requires_grad_(True)
    model.zero_grad(set_to_none=True)
    model(xt).sum().backward()
    grad = xt.grad[:, :, 0].numpy()  # (N, T): d prediction / d value at every step
    marks = x[:, :, 1] > 0.5
    first = marks.argmax(axis=1)
    second = x.shape[1] - 1 - marks[:, ::-1].argmax(axis=1)
    rows = np.arange(len(x))
    return float(grad[rows, first].mean()), float(grad[rows, second].mean())


# ----------------------------------------------------------------------------------------------
# The two experiments


@dataclass
class AddingConfig:
    """Settings of the length sweep: each kind at each length and seed, same optimiser and budget."""

    lengths: tuple = (10, 15, 20, 25, 50, 100, 200, 400)
    kinds: tuple = ("rnn", "lstm", "gru")
    seeds: tuple = (0, 1)
    lstm_hidden: int = 32  # the RNN's and the GRU's sizes are matched to this LSTM's parameter count
    steps: int = 2000
    batch_size: int = 64
    lr: float = 1e-2
    grad_clip: float = 1.0
    n_test: int = 1000
    eval_every: int = 100
    log_every: int = 25
    stop_below: float = 0.005  # an eighth of the success line: the task is long solved
    grad_length: int = 100  # the length at which gradient norms of the trained models are stored
    # Was the RNN's learning rate to blame? Extra RNN runs at these rates and lengths, every seed.
    rnn_check_lrs: tuple = (1e-3, 3e-3)
    rnn_check_lengths: tuple = (10, 15, 20, 25, 50, 100)
    n_grad: int = 100  # test sequences averaged in the gradient norms
    threads: int = 1


@dataclass
class AblationConfig:
    """Settings of the ablation study: each variant of our LSTM on one adding-problem length."""

    length: int = 50
    variants: tuple = ("vanilla", "forget_bias_1", "no_forget_gate", "no_output_tanh", "coupled_gates",
                       "no_output_gate", "gru")
    seeds: tuple = (0, 1, 2)
    hidden_size: int = 32
    steps: int = 1000
    batch_size: int = 64
    lr: float = 1e-2
    grad_clip: float = 1.0
    n_test: int = 1000
    eval_every: int = 50
    log_every: int = 25
    stop_below: float = 0.005
    threads: int = 1


# name in AblationConfig.variants -> (what it is, AddingModel keyword arguments)
ABLATIONS = {
    "vanilla": ("standard LSTM, forget bias 0 (PyTorch's default)", dict(kind="scratch")),
    "forget_bias_1": ("standard LSTM, forget bias 1 (Gers et al. 2000; Jozefowicz et al. 2015)",
                      dict(kind="scratch", forget_bias=1.0)),
    "no_forget_gate": ("f fixed at 1 (the 1997 LSTM)", dict(kind="scratch", variant="no_forget_gate")),
    "no_output_tanh": ("h = o * C, no tanh on the way out", dict(kind="scratch", variant="no_output_tanh")),
    "coupled_gates": ("i = 1 - f (CIFG)", dict(kind="scratch", variant="coupled_gates")),
    "no_output_gate": ("o fixed at 1", dict(kind="scratch", variant="no_output_gate")),
    "gru": ("nn.GRU with a matched parameter count", dict(kind="gru")),
}


def _meta(cfg, command: str) -> dict:
    return {"command": command, "settings": asdict(cfg), "solved_mse": SOLVED_MSE,
            "mean_predictor_mse": MEAN_PREDICTOR_MSE, "test_seed": TEST_SEED,
            "versions": {"python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__},
            "platform": platform.platform(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def _log(msg, verbose):
    if verbose:
        print(msg, flush=True)


def _checkpoint(out: dict, start: float, path) -> None:
    out["wall_time_s"] = round(time.perf_counter() - start, 1)
    if path is not None:
        save_results(out, path)


def _strip(run: dict) -> dict:
    return {k: v for k, v in run.items() if k != "model"}


def run_adding(cfg: AddingConfig, *, verbose: bool = False, command: str = "", out_path=None) -> dict:
    """The length sweep: every kind x length x seed, plus gradient norms of the trained models at one length.

    With ``out_path`` the results so far are saved after every run (``"complete": false`` until the
    last one).
    """
    torch.set_num_threads(cfg.threads)
    start = time.perf_counter()
    budget = count_parameters(AddingModel("lstm", cfg.lstm_hidden))
    hidden = {k: cfg.lstm_hidden if k in ("lstm", "scratch") else matched_hidden_size(k, budget) for k in cfg.kinds}
    out = _meta(cfg, command)
    out.update(experiment="adding_problem", complete=False, hidden_sizes=hidden, runs=[], gradient_norms={},
               rnn_lr_check=[])
    x_grad, _ = adding_problem(cfg.n_grad, cfg.grad_length, seed=TEST_SEED)
    for seed in cfg.seeds:  # seed-major: the first seed's whole sweep is on disk first
        for length in cfg.lengths:
            for kind in cfg.kinds:
                t0 = time.perf_counter()
                run = train_adding(kind, length, hidden_size=hidden[kind], steps=cfg.steps, batch_size=cfg.batch_size,
                                   lr=cfg.lr, grad_clip=cfg.grad_clip, seed=seed, n_test=cfg.n_test,
                                   eval_every=cfg.eval_every, log_every=cfg.log_every, stop_below=cfg.stop_below)
                run["wall_time_s"] = round(time.perf_counter() - t0, 1)
                if length == cfg.grad_length:
                    model = run["model"]
                    run["sensitivity"] = marked_value_sensitivity(model, x_grad)
                    if seed == cfg.seeds[0]:
                        torch.manual_seed(seed)
                        fresh = AddingModel(kind, hidden[kind])  # the same initial weights, untrained
                        out["gradient_norms"][kind] = {
                            "length": cfg.grad_length, "seed": seed,
                            "init": torch_input_gradient_norms(fresh.rnn, x_grad).tolist(),
                            "trained": torch_input_gradient_norms(model.rnn, x_grad).tolist()}
                out["runs"].append(_strip(run))
                _log(f"{kind:>4} T={length:<4} seed={seed} test MSE {run['final_test_mse']:.4f} "
                     f"after {run['steps']} steps ({run['wall_time_s']:.0f} s)", verbose)
                _checkpoint(out, start, out_path)
    for seed in cfg.seeds:
        for length in cfg.rnn_check_lengths:
            for lr in cfg.rnn_check_lrs:
                t0 = time.perf_counter()
                run = train_adding("rnn", length, hidden_size=hidden["rnn"], steps=cfg.steps, batch_size=cfg.batch_size,
                                   lr=lr, grad_clip=cfg.grad_clip, seed=seed, n_test=cfg.n_test,
                                   eval_every=cfg.eval_every, log_every=cfg.log_every, stop_below=cfg.stop_below)
                run["lr"] = lr
                run["wall_time_s"] = round(time.perf_counter() - t0, 1)
                out["rnn_lr_check"].append(_strip(run))
                _log(f" rnn T={length:<4} seed={seed} lr={lr:g} test MSE {run['final_test_mse']:.4f} "
                     f"after {run['steps']} steps ({run['wall_time_s']:.0f} s)", verbose)
                _checkpoint(out, start, out_path)
    out["complete"] = True
    _checkpoint(out, start, out_path)
    return out


def run_ablations(cfg: AblationConfig, *, verbose: bool = False, command: str = "", out_path=None) -> dict:
    """Each variant of `ABLATIONS` on the adding problem at one length, several seeds."""
    torch.set_num_threads(cfg.threads)
    start = time.perf_counter()
    budget = count_parameters(AddingModel("scratch", cfg.hidden_size))
    out = _meta(cfg, command)
    out.update(experiment="ablations", complete=False, descriptions={v: ABLATIONS[v][0] for v in cfg.variants}, runs=[])
    for name in cfg.variants:
        if name not in ABLATIONS:
            raise ValueError(f"variants: expected names from {sorted(ABLATIONS)}, got {name!r}")
        kwargs = dict(ABLATIONS[name][1])
        hidden = cfg.hidden_size if kwargs["kind"] == "scratch" else matched_hidden_size(kwargs["kind"], budget)
        for seed in cfg.seeds:
            t0 = time.perf_counter()
            run = train_adding(length=cfg.length, hidden_size=hidden, steps=cfg.steps, batch_size=cfg.batch_size,
                               lr=cfg.lr, grad_clip=cfg.grad_clip, seed=seed, n_test=cfg.n_test,
                               eval_every=cfg.eval_every, log_every=cfg.log_every, stop_below=cfg.stop_below,
                               **kwargs)
            run["ablation"] = name
            run["wall_time_s"] = round(time.perf_counter() - t0, 1)
            out["runs"].append(_strip(run))
            _log(f"{name:>15} seed={seed} test MSE {run['final_test_mse']:.4f} after {run['steps']} steps "
                 f"({run['wall_time_s']:.0f} s)", verbose)
            _checkpoint(out, start, out_path)
    out["complete"] = True
    _checkpoint(out, start, out_path)
    return out


# ----------------------------------------------------------------------------------------------
# Results files


def save_results(results: dict, path) -> Path:
    """Write ``results`` as JSON atomically (a crash never leaves half a file)."""
    path = Path(path)
    with atomic_write(path, "w") as fh:
        json.dump(results, fh, indent=1)
        fh.write("\n")
    return path


def load_results(path) -> dict:
    """Read a results file written by `save_results`; a relative path is tried from the repository root too."""
    path = Path(path)
    if not path.is_file() and not path.is_absolute() and (ROOT / path).is_file():
        path = ROOT / path
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no results file here; `python -m lstm_helpers.tools.experiments all` writes them")
    return json.loads(path.read_text())


def summarise(results: dict, key: str = "length") -> list[dict]:
    """One row per (kind or ablation, ``key``): mean, min and max final test MSE over seeds, runs solved."""
    group = "ablation" if results.get("experiment") == "ablations" else "kind"
    rows = {}
    for run in results["runs"]:
        rows.setdefault((run[group], run[key]), []).append(run)
    table = []
    for (name, value), runs in rows.items():
        mses = [r["final_test_mse"] for r in runs]
        solved_steps = [r["first_solved_step"] for r in runs if r["first_solved_step"] is not None]
        table.append({group: name, key: value, "n_params": runs[0]["n_params"], "hidden_size": runs[0]["hidden_size"],
                      "mean_mse": float(np.mean(mses)), "min_mse": float(np.min(mses)), "max_mse": float(np.max(mses)),
                      "n_solved": sum(r["solved"] for r in runs), "n_seeds": len(runs),
                      "median_first_solved_step": float(np.median(solved_steps)) if solved_steps else None})
    return table


def longest_solved(results: dict, kind: str) -> int | None:
    """The longest length at which every seed of ``kind`` ended below `SOLVED_MSE`, or None."""
    ok = [row["length"] for row in summarise(results) if row["kind"] == kind and row["n_solved"] == row["n_seeds"]]
    return max(ok) if ok else None


# ----------------------------------------------------------------------------------------------
# Command line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", choices=["adding", "ablations", "all"])
    parser.add_argument("--out", help="results file (default results/adding_problem.json or results/ablations.json; "
                                      "not allowed with 'all')")
    parser.add_argument("--steps", type=int, help="training steps per run (overrides the default)")
    parser.add_argument("--seeds", type=int, nargs="+", help="seeds (overrides the default)")
    parser.add_argument("--lengths", type=int, nargs="+", help="adding: sequence lengths")
    parser.add_argument("--threads", type=int, help="torch threads (default 1)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.experiment == "all" and args.out:
        parser.error("--out: 'all' writes both default files; run the experiments one by one to choose names")
    command = "python -m lstm_helpers.tools.experiments " + " ".join(sys.argv[1:] if argv is None else argv)
    overrides = {k: v for k, v in (("steps", args.steps), ("threads", args.threads)) if v is not None}
    if args.seeds:
        overrides["seeds"] = tuple(args.seeds)
    jobs = []
    if args.experiment in ("adding", "all"):
        extra = {"lengths": tuple(args.lengths)} if args.lengths else {}
        jobs.append((run_adding, AddingConfig(**overrides, **extra), args.out or "results/adding_problem.json"))
    if args.experiment in ("ablations", "all"):
        jobs.append((run_ablations, AblationConfig(**overrides), args.out or "results/ablations.json"))
    for fn, cfg, out in jobs:
        results = fn(cfg, verbose=not args.quiet, command=command, out_path=out)
        print(f"wrote {out} ({results['wall_time_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
