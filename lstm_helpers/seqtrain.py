"""Training small sequence models on synthetic tasks: one loop for regression and classification.

`train_stacked` trains many independent small networks at once (seeds x learning rates stacked on a leading axis).
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .data import adding_problem, adding_problem_1997, long_lag_recall, variable_lag_recall
from .utils import check_int

VAL_SEED, TEST_SEED = 2025, 2024  # the validation set chooses, the test set only reports
CELLS = ("rnn", "lstm", "gru")
BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}
INITS = ("default", "orthogonal", "identity")
VARIANTS = ("vanilla", "no_forget_gate", "no_output_tanh", "coupled_gates", "no_output_gate")

# name -> what it is. cell, init, forget_bias, variant, nonlinearity of the RNN
SETTINGS = {
    "rnn": dict(cell="rnn", init="default", what="tanh RNN, PyTorch's initialisation"),
    "rnn_orth": dict(cell="rnn", init="orthogonal", what="tanh RNN, orthogonal W_h, zero bias"),
    "irnn": dict(cell="rnn", init="identity", what="ReLU RNN, W_h = identity, zero bias (IRNN, Le et al. 2015)"),
    "lstm_fb0": dict(cell="lstm", forget_bias=0.0, what="LSTM, forget bias 0 (PyTorch's default)"),
    "lstm_fb1": dict(cell="lstm", forget_bias=1.0, what="LSTM, forget bias 1 (the series' default)"),
    "lstm_fb3": dict(cell="lstm", forget_bias=3.0, what="LSTM, forget bias 3 (sigmoid(3) = 0.95 kept per step)"),
    "gru": dict(cell="gru", what="GRU"),
    "lstm_no_forget_gate": dict(cell="lstm", variant="no_forget_gate", what="f = 1 (the 1997 LSTM)"),
    "lstm_no_output_tanh": dict(cell="lstm", variant="no_output_tanh", what="h = o * C"),
    "lstm_coupled_gates": dict(cell="lstm", variant="coupled_gates", what="i = 1 - f (CIFG)"),
    "lstm_no_output_gate": dict(cell="lstm", variant="no_output_gate", what="o = 1"),
}


# ----------------------------------------------------------------------------------------------
# Tasks: x (n, T, D) float32, y (n,); a loss, a score and a success line


def _recall(n, length, seed):
    return long_lag_recall(n, length, 4, seed=seed, noise=True)


def _recall_var(n, length, seed):
    return variable_lag_recall(n, length, length // 2, 4, seed=seed)


TASKS = {
    # name: (make(n, length, seed), input size, outputs, what success means)
    "adding": (adding_problem, 2, 1, "test MSE < 0.04 (the mean predictor scores 1/6)"),
    "recall": (_recall, 5, 4, "test accuracy >= 0.9 (chance 0.25); 4 symbols, random distractors"),
    "recall_var": (_recall_var, 5, 4, "test accuracy >= 0.9 (chance 0.25); as 'recall', but each sequence's lag "
                   "is drawn from [T/2, T]"),
    "adding1997": (adding_problem_1997, 2, 1, "Hochreiter & Schmidhuber's: |error| < 0.04 on every one of 2000 "
                   "consecutive training sequences and their mean squared error < 0.01"),
}
SOLVED = {"adding": ("loss", 0.04), "recall": ("acc", 0.9), "recall_var": ("acc", 0.9), "adding1997": ("acc", 1.0)}
# With retire=True a network stops at a stricter line than SOLVED, so that the weights it keeps are
# clearly past the success line and not on its edge (the test set still judges against SOLVED).
RETIRE = {"adding": ("loss", 0.01), "recall": ("acc", 0.99), "recall_var": ("acc", 0.99)}
H97_CORRECT = 0.04  # a sequence of the 1997 adding problem is processed correctly when |error| < 0.04


def task_loss(task: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-model mean loss: MSE for 'adding', cross-entropy for 'recall'. out (M, N, O), y (M, N) -> (M,)."""
    if not task.startswith("recall"):
        return ((out[..., 0] - y) ** 2).mean(dim=1)
    M, N, O = out.shape
    return F.cross_entropy(out.reshape(M * N, O), y.reshape(M * N), reduction="none").reshape(M, N).mean(dim=1)


def is_solved(task: str, loss: float, acc: float, lines: dict = SOLVED) -> bool:
    """Whether one run's (loss, accuracy) on a held-out set passes the task's success line (in ``lines``)."""
    which, line = lines[task]
    return bool(loss < line) if which == "loss" else bool(acc >= line)


# ----------------------------------------------------------------------------------------------
# Many independent networks in one module


def count_params(cell: str, hidden: int, input_size: int, n_out: int) -> int:
    """Parameters of one network here: B blocks of H (D + H + 1), the GRU's extra H, a linear readout."""
    extra = hidden if cell == "gru" else 0
    return BLOCKS[cell] * hidden * (input_size + hidden + 1) + extra + hidden * n_out + n_out


def matched_hidden(cell: str, n_params: int, input_size: int, n_out: int) -> int:
    """The hidden size of ``cell`` whose parameter count is closest to ``n_params``."""
    if cell not in BLOCKS:
        raise ValueError(f"cell: expected one of {CELLS}, got {cell!r}")
    return min(range(1, 2048), key=lambda H: (abs(count_params(cell, H, input_size, n_out) - n_params), H))


class StackedRecurrent(nn.Module):
    """M independent one-layer recurrent networks with a linear readout of the last state.

    Every weight has a leading axis of length M; model m is initialised from its own generator
    (seed ``seeds[m]``), so it equals a network trained alone. Row-vector convention:
    a_t = x_t Wx + h_{t-1} Wh + b, gates in the order i, f, g, o. forward: x (M, N, T, D) -> (M, N, O).
    """

    def __init__(self, cell: str, hidden: int, input_size: int, n_out: int, seeds, *, init: str = "default",
                 forget_bias: float = 0.0, variant: str = "vanilla"):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell: expected one of {CELLS}, got {cell!r}")
        if init not in INITS or (init != "default" and cell != "rnn"):
            raise ValueError(f"init: expected one of {INITS} ('orthogonal', 'identity' for cell='rnn'), got {init!r}")
        if variant not in VARIANTS or (variant != "vanilla" and cell != "lstm"):
            raise ValueError(f"variant: expected one of {VARIANTS} (not vanilla only for cell='lstm'), got {variant!r}")
        self.cell, self.init, self.variant, self.hidden = cell, init, variant, hidden
        self.forget_bias = float(forget_bias)
        G, H, D, k = BLOCKS[cell] * hidden, hidden, input_size, hidden ** -0.5
        ws = {n: [] for n in ("Wx", "Wh", "b", "bhn", "Wy", "by")}
        for seed in seeds:
            g = torch.Generator().manual_seed(int(seed))

            def U(*shape):
                return (torch.rand(*shape, generator=g) * 2 - 1) * k

            Wx, Wh, b = U(D, G), U(H, G), U(1, G)
            if init == "orthogonal":
                q, r = torch.linalg.qr(torch.randn(H, H, generator=g))
                Wh, b = q * torch.sign(torch.diagonal(r)), torch.zeros(1, G)
            elif init == "identity":
                Wh, b = torch.eye(H), torch.zeros(1, G)
            if cell == "lstm":
                b[0, H:2 * H] += forget_bias
            ws["Wx"].append(Wx), ws["Wh"].append(Wh), ws["b"].append(b), ws["bhn"].append(U(1, H))
            ws["Wy"].append(U(H, n_out)), ws["by"].append(U(1, n_out))
        names = ("Wx", "Wh", "b", "bhn", "Wy", "by") if cell == "gru" else ("Wx", "Wh", "b", "Wy", "by")
        for n in names:
            setattr(self, n, nn.Parameter(torch.stack(ws[n])))
        self.n_models = len(seeds)

    def n_params_each(self) -> int:
        return sum(p[0].numel() for p in self.parameters())

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None, models=None) -> torch.Tensor:
        """x (M, N, T, D) -> (M, N, O), read from each sequence's last state (step ``lengths - 1``, else T - 1).

        ``models`` (a list of indices) runs only those networks; x then has one row per listed network.
        """
        if models is not None:
            Wx, Wh, b, Wy, by = (p[models] for p in (self.Wx, self.Wh, self.b, self.Wy, self.by))
        else:
            Wx, Wh, b, Wy, by = self.Wx, self.Wh, self.b, self.Wy, self.by
        if self.cell == "lstm" and self.variant == "vanilla":
            return self._forward_lstm_fused(x, lengths, Wx, Wh, b, Wy, by)
        M, N, T, D = x.shape
        H = self.hidden
        xw = (torch.bmm(x.reshape(M, N * T, D), Wx) + b).reshape(M, N, T, -1).unbind(2)
        h = x.new_zeros(M, N, H)
        c = x.new_zeros(M, N, H)
        for t in range(T):
            if self.cell == "rnn":
                a = xw[t] + torch.bmm(h, Wh)
                h = torch.relu(a) if self.init == "identity" else torch.tanh(a)
            elif self.cell == "gru":
                hw_rz, hw_n = torch.bmm(h, Wh).split([2 * H, H], dim=-1)
                x_rz, x_n = xw[t].split([2 * H, H], dim=-1)
                r, z = torch.sigmoid(x_rz + hw_rz).chunk(2, dim=-1)
                n = torch.tanh(x_n + r * (hw_n + (self.bhn if models is None else self.bhn[models])))
                h = n + z * (h - n)  # = (1 - z) n + z h
            else:
                a = xw[t] + torch.bmm(h, Wh)
                a_i, a_f, a_g, a_o = a.chunk(4, dim=-1)  # one split: its backward is one concatenation
                f, g, o = torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)
                i = torch.sigmoid(a_i)
                if self.variant == "no_forget_gate":
                    f = torch.ones_like(f)
                elif self.variant == "coupled_gates":
                    i = 1 - f
                elif self.variant == "no_output_gate":
                    o = torch.ones_like(o)
                c = f * c + i * g
                h = o * (c if self.variant == "no_output_tanh" else torch.tanh(c))
            if lengths is not None:
                last = h if t == 0 else torch.where((lengths == t + 1).unsqueeze(-1), h, last)
        return torch.bmm(h if lengths is None else last, Wy) + by

    @staticmethod
    def _forward_lstm_fused(x, lengths, Wx, Wh, b, Wy, by):
        """The plain LSTM (same equations, same weights) through PyTorch's fused kernel, one network at a time.

        ``torch.lstm`` is what ``nn.LSTM`` calls; on a CPU it runs the time loop in C++, 2-3 times faster
        here than the Python loop above. Weights go in transposed (PyTorch stores W as (4H, D)).
        """
        outs = []
        M, N, T, _ = x.shape
        H = Wh.shape[1]
        zero_b = b.new_zeros(4 * H)
        for m in range(M):
            h0 = x.new_zeros(1, N, H)
            seq, _, _ = torch.lstm(x[m], (h0, h0), [Wx[m].t(), Wh[m].t(), b[m, 0], zero_b], True, 1, 0.0, False,
                                   False, True)
            last = seq[:, -1] if lengths is None else seq[torch.arange(N), lengths[m] - 1]
            outs.append(last)
        return torch.bmm(torch.stack(outs), Wy) + by


# ----------------------------------------------------------------------------------------------
# The stacked training loop


def _as_batch(arrays, ydt):
    """Numpy (x, y[, lengths]) of one or more models -> torch x (M, N, T, D), y (M, N), lengths (M, N) or None."""
    x, y = torch.from_numpy(np.asarray(arrays[0])), torch.from_numpy(np.asarray(arrays[1])).to(ydt)
    lengths = torch.from_numpy(np.asarray(arrays[2])) if len(arrays) > 2 else None
    return x, y, lengths


def _evaluate(model, task, data, chunk=256, models=None):
    """Per-model loss and score on one shared set (x (N, T, D), y (N,)[, lengths]), without gradients.

    The score is the accuracy for 'recall' and the fraction of sequences with |error| < 0.04 for
    'adding1997'; 'adding' has none (nan). ``models`` scores only those networks (default: all).
    """
    M, n = (model.n_models if models is None else len(models)), len(data[0])
    losses, hits = [], []
    with torch.no_grad():
        for s in range(0, n, chunk):
            parts = [torch.as_tensor(a[s:s + chunk]).unsqueeze(0).expand(M, *a[s:s + chunk].shape) for a in data]
            xb, yb, lb = parts[0], parts[1], (parts[2] if len(parts) > 2 else None)
            out = model(xb, lb, models)
            losses.append(task_loss(task, out, yb) * yb.shape[1])
            if task.startswith("recall"):
                hits.append((out.argmax(-1) == yb).float().sum(dim=1))
            elif task == "adding1997":
                hits.append(((out[..., 0] - yb).abs() < H97_CORRECT).float().sum(dim=1))
    loss = (torch.stack(losses).sum(0) / n).tolist()
    acc = (torch.stack(hits).sum(0) / n).tolist() if hits else [float("nan")] * M
    return [v if math.isfinite(v) else float("inf") for v in loss], acc


def train_stacked(setting: str, task: str, length: int, *, seeds, lrs, steps: int, hidden: int,
                  batch_size: int = 64, max_norm: float = 1.0, eval_every: int = 100, log_every: int = 25,
                  n_val: int = 500, n_test: int = 1000, stop_when_all_solved: bool = True,
                  retire: bool = False) -> list[dict]:
    """Train one network per (seed, lr) of ``setting`` on ``task`` at ``length``, all at once; one dict per run.

    Adam on each network's own mean loss, each network's gradient clipped to ``max_norm`` (its own
    norm over all its weights), a fresh batch every update (seed ``1_000_000 * (seed + 1) + step``;
    the networks of one seed see the same batches). Every ``eval_every`` updates the validation set
    (seed `VAL_SEED`) is scored; the test set (seed `TEST_SEED`) is scored once, at the end, and is
    never used to choose anything. Each run's ``history`` is in the team format (``step``,
    ``train_loss``, ``eval_step``, ``eval_loss``, plus ``eval_acc``). With ``stop_when_all_solved``
    training ends early once every network passes the success line on the validation set.

    With ``retire`` each network stops on its own: at the first evaluation where it passes the
    stricter line `RETIRE` on the validation set (for 'adding1997': when the 1997 rule holds), or where its
    validation loss is no longer finite. Its weights stay as they were then, and the remaining
    networks go on (cheaper: only they are computed). Global random state is left as it was.
    """
    if setting not in SETTINGS:
        raise ValueError(f"setting: expected one of {sorted(SETTINGS)}, got {setting!r}")
    if task not in TASKS:
        raise ValueError(f"task: expected one of {sorted(TASKS)}, got {task!r}")
    for name, value in (("length", length), ("steps", steps), ("hidden", hidden), ("batch_size", batch_size),
                        ("eval_every", eval_every), ("log_every", log_every), ("n_val", n_val), ("n_test", n_test)):
        check_int(name, value, 1)
    seeds, lrs = list(seeds), [float(v) for v in lrs]
    if not seeds or not lrs or any(not (v > 0) for v in lrs):
        raise ValueError(f"seeds, lrs: expected non-empty lists, lrs > 0, got seeds={seeds!r}, lrs={lrs!r}")
    make, D, O, _ = TASKS[task]
    spec = {k: v for k, v in SETTINGS[setting].items() if k != "what"}
    grid = [(s, lr) for s in seeds for lr in lrs]  # model m = (seed, lr)
    with torch.random.fork_rng(devices=[]):
        model = StackedRecurrent(spec.pop("cell"), hidden, D, O, [s for s, _ in grid], **spec)
    M = len(grid)
    lr_t = torch.tensor([lr for _, lr in grid]).reshape(M, 1, 1)
    params = list(model.parameters())
    state = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    ydt = torch.int64 if task.startswith("recall") else torch.float32
    val = make(n_val, length, VAL_SEED)
    h97 = task == "adding1997"  # the 1997 stopping rule, on the training sequences as they come
    streak = torch.zeros(M, dtype=torch.int64)  # consecutive training sequences processed correctly
    recent_sq = torch.zeros(M, 2000)  # squared errors of the 2000 most recent training sequences (a ring)
    seen, h97_at = 0, [None] * M
    active = list(range(M))
    stopped_at = [steps] * M
    hist = [{"step": [], "train_loss": [], "eval_step": [], "eval_loss": [], "eval_acc": []} for _ in grid]
    window, t0, last = [], time.perf_counter(), steps

    def stop(m, at):
        stopped_at[m] = at
        lr_t[m] = 0.0  # its weights stay as they are
        active.remove(m)

    for step in range(1, steps + 1):
        idx = list(active)
        data = {s: make(batch_size, length, 1_000_000 * (s + 1) + step) for s in {grid[m][0] for m in idx}}
        arrays = [np.stack([data[grid[m][0]][j] for m in idx]) for j in range(len(data[grid[idx[0]][0]]))]
        xb, yb, lb = _as_batch(arrays, ydt)
        out = model(xb, lb, idx if len(idx) < M else None)
        loss = task_loss(task, out, yb)  # (A,)
        if h97:
            err = (out[..., 0] - yb).detach()
            for j in range(err.shape[1]):
                ok = err[:, j].abs() < H97_CORRECT
                streak[idx] = torch.where(ok, streak[idx] + 1, torch.zeros_like(streak[idx]))
                recent_sq[idx, seen % 2000] = err[:, j] ** 2
                seen += 1
            done = (streak[idx] >= 2000) & (recent_sq[idx].mean(1) < 0.01)
            for m in [idx[k] for k in torch.nonzero(done).flatten().tolist()]:
                h97_at[m] = step
                stop(m, step)  # stopped at the criterion, as in the paper
        for p in params:
            p.grad = None
        loss.sum().backward()  # the networks share nothing, so each gets its own gradient
        with torch.no_grad():
            sq = sum(p.grad.pow(2).reshape(M, -1).sum(1) for p in params)
            scale = (max_norm / (sq.sqrt() + 1e-6)).clamp(max=1.0)
            for p, (m, v) in zip(params, state):
                g = p.grad * scale.reshape(M, *([1] * (p.dim() - 1)))
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                lr = lr_t.reshape(M, *([1] * (p.dim() - 1)))
                p.sub_(lr * (m / (1 - b1 ** step)) / ((v / (1 - b2 ** step)).sqrt() + eps))
        full = torch.full((M,), float("nan"))
        full[idx] = loss.detach()
        window.append(full)
        if step % log_every == 0 or step == steps:
            mean = torch.stack(window).nanmean(0).tolist()
            window = []
            for m in idx:
                v = mean[m]
                hist[m]["step"].append(step), hist[m]["train_loss"].append(v if math.isfinite(v) else float("inf"))
        if not active:
            last = step
            break
        if step % eval_every == 0 or step == steps:
            vl, va = _evaluate(model, task, val, models=active if len(active) < M else None)
            for m, a, b in zip(list(active), vl, va):
                h = hist[m]
                h["eval_step"].append(step), h["eval_loss"].append(a), h["eval_acc"].append(b)
                if retire and ((not h97 and is_solved(task, a, b, RETIRE)) or not math.isfinite(a)):
                    stop(m, step)
            all_solved = all(v is not None for v in h97_at) if h97 else \
                all(is_solved(task, hist[m]["eval_loss"][-1], hist[m]["eval_acc"][-1]) for m in range(M))
            if not active or (stop_when_all_solved and all_solved):
                last = step
                break
    tl, ta = _evaluate(model, task, make(n_test, length, TEST_SEED))
    wall = time.perf_counter() - t0
    runs = []
    for m, ((seed, lr), h) in enumerate(zip(grid, hist)):
        solved_at = [h97_at[m]] if h97_at[m] is not None else [] if h97 else \
            [s for s, a, b in zip(h["eval_step"], h["eval_loss"], h["eval_acc"]) if is_solved(task, a, b)]
        runs.append({"setting": setting, "task": task, "length": length, "seed": seed, "lr": lr,
                     "hidden": hidden, "n_params": model.n_params_each(), "steps": min(last, stopped_at[m]),
                     "max_steps": steps, "val_loss": h["eval_loss"][-1] if h["eval_loss"] else float("inf"),
                     "val_acc": h["eval_acc"][-1] if h["eval_acc"] else float("nan"),
                     "test_loss": tl[m], "test_acc": ta[m],
                     "solved": h97_at[m] is not None if h97 else is_solved(task, tl[m], ta[m]),
                     "first_solved_step": solved_at[0] if solved_at else None,
                     "history": h, "wall_time_s": round(wall / M, 2)})
    return runs


def select_lr(runs: list[dict]) -> float:
    """The learning rate whose runs have the lowest median final VALIDATION loss (never the test set)."""
    by_lr = {}
    for r in runs:
        by_lr.setdefault(r["lr"], []).append(r["val_loss"])
    return min(by_lr, key=lambda lr: (float(np.median(by_lr[lr])), lr))


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (95 % by default) for k successes out of n trials."""
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"k, n: expected 0 <= k <= n and n >= 1, got k={k!r}, n={n!r}")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


# ----------------------------------------------------------------------------------------------
# One model on a fixed data set (notebook 09's sines)


def train_regressor(model, x, y, *, x_val=None, y_val=None, steps: int = 300, batch_size: int = 64,
                    lr: float = 1e-2, eval_interval: int = 50, seed: int = 0, progress: bool = False) -> dict:
    """Fit a regression model (for example ``models.SequenceRegressor``) with Adam on mean squared error.

    x (N, T, D) and y (N, horizon), numpy or torch, moved to the model's device; each update draws
    ``batch_size`` rows with a generator seeded by ``seed``. Returns the team history: ``step`` and
    ``train_loss`` for every update, ``eval_step`` and ``eval_loss`` every ``eval_interval`` updates
    and at the end (when x_val, y_val are given). Global random state is left as it was.
    """
    for name, value in (("steps", steps), ("batch_size", batch_size), ("eval_interval", eval_interval)):
        check_int(name, value, 1)
    device = next(model.parameters()).device
    x = torch.as_tensor(x, dtype=torch.float32, device=device)
    y = torch.as_tensor(y, dtype=torch.float32, device=device)
    if x.ndim != 3 or y.ndim != 2 or len(x) != len(y):
        raise ValueError(f"x, y: expected shapes (N, T, D) and (N, horizon), got {tuple(x.shape)} and {tuple(y.shape)}")
    has_val = x_val is not None and y_val is not None
    if has_val:
        x_val = torch.as_tensor(x_val, dtype=torch.float32, device=device)
        y_val = torch.as_tensor(y_val, dtype=torch.float32, device=device)
    gen = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"step": [], "train_loss": [], "eval_step": [], "eval_loss": []}
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):  # dropout draws from the global generator: give it back
        torch.manual_seed(seed)
        model.train()
        for step in range(1, steps + 1):
            if progress and step % max(1, steps // 10) == 0:
                print(f"step {step}/{steps}", flush=True)
            idx = torch.randint(len(x), (min(batch_size, len(x)),), generator=gen).to(device)
            loss = F.mse_loss(model(x[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            history["step"].append(step)
            history["train_loss"].append(loss.item())
            if has_val and (step % eval_interval == 0 or step == steps):
                model.eval()
                with torch.no_grad():
                    history["eval_loss"].append(F.mse_loss(model(x_val), y_val).item())
                history["eval_step"].append(step)
                model.train()
    return history
