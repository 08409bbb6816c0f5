"""A state-tracking task (running parity) and three small models for it: LSTM, minLSTM, diagonal linear recurrence.

Trained on short sequences, tested on longer ones: which recurrence keeps tracking the state beyond
the lengths it saw? (Notebook 11; the sweep itself is `python -m lstm_helpers.tools.lstm_today state_tracking`.)

Task: x_t in {0, 1} (one-hot, D = 2); the target at every step is the parity of the bits so far,
y_t = (x_1 + ... + x_t) mod 2. An exact solution flips one bit of state whenever x_t = 1. The LSTM
can do this (its gates see h_{t-1}); minLSTM and the diagonal recurrence update
h_t = a_t * h_{t-1} + b_t with a_t > 0 chosen by x_t alone, so the state cannot flip sign, and a
fixed readout can only decode parity for the counts it was trained on (Merrill et al. 2024 and
Grazzi et al. 2024 analyse why).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .minlstm import MinLSTM, scan_sequential
from .utils import check_int

KINDS = ("lstm", "minlstm", "diagonal")
KIND_LABELS = {"lstm": "LSTM (nn.LSTM)", "minlstm": "minLSTM", "diagonal": "diagonal linear recurrence"}
READOUT_HIDDEN = 16


def parity_data(n: int, length: int, *, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n random bit strings of ``length``: x (n, length, 2) one-hot float32, y (n, length) running parity (int64)."""
    check_int("n", n, 1)
    check_int("length", length, 1)
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(n, length))
    y = np.cumsum(bits, axis=1) % 2
    x = np.eye(2, dtype=np.float32)[bits]  # (n, length, 2)
    return torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))


class DiagonalLinearRNN(nn.Module):
    """h_t = lam * h_{t-1} + x_t W + b with a fixed per-unit decay lam = sigmoid(nu) in (0, 1).

    The simplest diagonal linear recurrence (time-invariant, real, non-negative): the family of
    S4D-real / LRU-style layers without their complex numbers. forward(x (N, T, D)) -> (N, T, H).
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.linear = nn.Linear(input_size, hidden_size)
        self.nu = nn.Parameter(torch.linspace(0.0, 4.0, hidden_size))  # decays from 0.5 to 0.98

    def forward(self, x):
        b = self.linear(x)  # (N, T, H)
        lam = torch.sigmoid(self.nu).expand_as(b)
        return scan_sequential(lam, b, b.new_zeros(b.shape[0], b.shape[2]))


class ParityModel(nn.Module):
    """A recurrent layer of ``kind`` and the same small MLP readout at every step: (N, T, 2) -> logits (N, T, 2)."""

    def __init__(self, kind: str, hidden_size: int, input_size: int = 2):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
        check_int("hidden_size", hidden_size, 1)
        self.kind = kind
        if kind == "lstm":
            self.rnn = nn.LSTM(input_size, hidden_size, batch_first=True)
        elif kind == "minlstm":
            self.rnn = MinLSTM(input_size, hidden_size)
        else:
            self.rnn = DiagonalLinearRNN(input_size, hidden_size)
        self.head = nn.Sequential(nn.Linear(hidden_size, READOUT_HIDDEN), nn.ReLU(), nn.Linear(READOUT_HIDDEN, 2))

    def forward(self, x):
        out = self.rnn(x)
        if isinstance(out, tuple):  # nn.LSTM returns (output, (h_n, c_n))
            out = out[0]
        return self.head(out)  # (N, T, 2)


def count_params(model: nn.Module) -> int:
    """Number of trainable numbers in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def matched_hidden_size(kind: str, n_params: int) -> int:
    """The hidden size whose `ParityModel` of ``kind`` has the parameter count closest to ``n_params``."""
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    return min(range(1, 512), key=lambda H: (abs(count_params(ParityModel(kind, H)) - n_params), H))


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict:
    """Accuracy of ``model`` on (x, y): at the last step ('final') and over all steps ('all')."""
    with torch.no_grad():
        pred = model(x).argmax(-1)  # (N, T)
    return {"final": float((pred[:, -1] == y[:, -1]).float().mean()), "all": float((pred == y).float().mean())}


def train_parity(kind: str, *, hidden_size: int, length: int = 16, steps: int = 1500, batch_size: int = 64,
                 lr: float = 1e-2, grad_clip: float = 1.0, seed: int = 0, eval_every: int = 100,
                 n_val: int = 1000) -> dict:
    """Train one `ParityModel` on running parity at ``length``; return the model, its history and validation accuracy.

    The loss is the cross-entropy at every step (every prefix 1..length is a training example).
    Validation data (seed + 10_000) is fresh, at the training length. History in the house format:
    step, train_loss, eval_step, eval_loss, plus eval_acc (final-step validation accuracy).
    """
    for name, value, low in (("length", length, 1), ("steps", steps, 1), ("batch_size", batch_size, 1)):
        check_int(name, value, low)
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    torch.manual_seed(seed)
    model = ParityModel(kind, hidden_size)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    x_val, y_val = parity_data(n_val, length, seed=seed + 10_000)
    hist = {"step": [], "train_loss": [], "eval_step": [], "eval_loss": [], "eval_acc": []}
    for step in range(1, steps + 1):
        x, y = parity_data(batch_size, length, seed=int(rng.integers(2**31)))  # batch
        logits = model(x)  # forward
        loss = F.cross_entropy(logits.reshape(-1, 2), y.reshape(-1))
        opt.zero_grad()
        loss.backward()  # backward
        nn.utils.clip_grad_norm_(model.parameters(), grad_clip)  # clip
        opt.step()  # step
        hist["step"].append(step)  # log
        hist["train_loss"].append(loss.item())
        if step % eval_every == 0 or step == steps:
            with torch.no_grad():
                val_loss = float(F.cross_entropy(model(x_val).reshape(-1, 2), y_val.reshape(-1)))
            hist["eval_step"].append(step)
            hist["eval_loss"].append(val_loss)
            hist["eval_acc"].append(accuracy(model, x_val, y_val)["final"])
    return {"kind": kind, "hidden_size": hidden_size, "n_params": count_params(model), "lr": lr, "seed": seed,
            "length": length, "steps": steps, "model": model, "history": hist,
            "val": accuracy(model, x_val, y_val)}


def accuracy_by_length(model: nn.Module, lengths, *, n: int = 1000, seed: int = 20_000) -> dict:
    """Final-step accuracy of ``model`` on fresh parity data at each test length: {length: accuracy}."""
    return {int(T): accuracy(model, *parity_data(n, int(T), seed=seed + int(T)))["final"] for T in lengths}


def accuracy_by_position(model: nn.Module, length: int = 64, *, n: int = 1000, seed: int = 30_000) -> list:
    """Accuracy at each position t = 1 .. length on fresh parity data: where does a model stop tracking?"""
    x, y = parity_data(n, length, seed=seed)
    with torch.no_grad():
        pred = model(x).argmax(-1)  # (n, length)
    return [float(v) for v in (pred == y).float().mean(0)]
