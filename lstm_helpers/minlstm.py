"""minLSTM (Feng et al. 2024): an LSTM whose gates see only the input, so its recurrence is a linear scan.

The same layer runs step by step (a Python loop, like any RNN) or over all steps at once with a
parallel scan in log space (`torch.logcumsumexp`); the two give the same numbers.

Shapes: N batch, T time steps, D input features, H hidden units.

Equations (Feng et al. 2024, section 3.2; no h_{t-1} inside any gate)::

    f_t  = sigmoid(x_t W_f + b_f)                forget gate
    i_t  = sigmoid(x_t W_i + b_i)                input gate
    h~_t = g(x_t W_h + b_h)                      candidate (g below)
    f'_t = f_t / (f_t + i_t),   i'_t = i_t / (f_t + i_t)     the two gates normalised to sum to 1
    h_t  = f'_t * h_{t-1} + i'_t * h~_t          a linear recurrence h_t = a_t h_{t-1} + b_t

Because a_t and b_t do not depend on h, h_t = A_t (h_0 + sum_{s<=t} b_s / A_s) with A_t = a_1 ... a_t:
a cumulative product and a cumulative sum, both computable in O(log T) parallel steps. In log space
(the paper's appendix): log h_t = a*_t + logcumsumexp_s(log b_s - a*_s) with a*_t = sum_{s<=t} log a_s,
which needs b_t > 0; the paper makes the candidate positive with g(x) = x + 0.5 for x >= 0 and
sigmoid(x) for x < 0. We use the same g in both forms, so they compute the same function.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .utils import check_int


def g_positive(x: torch.Tensor) -> torch.Tensor:
    """The paper's positive, continuous stand-in for the identity: x + 0.5 for x >= 0, sigmoid(x) below."""
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def log_g_positive(x: torch.Tensor) -> torch.Tensor:
    """log g_positive(x), computed without forming g first (log(x + 0.5) or -softplus(-x))."""
    return torch.where(x >= 0, torch.log(F.relu(x) + 0.5), -F.softplus(-x))


def _check_scan_args(name_a, a, name_b, b, name_h0, h0):
    if not isinstance(a, torch.Tensor) or a.dim() != 3:
        got = tuple(a.shape) if isinstance(a, torch.Tensor) else type(a).__name__
        raise ValueError(f"{name_a}: expected a tensor of shape (N, T, H), got {got}")
    if not isinstance(b, torch.Tensor) or tuple(b.shape) != tuple(a.shape):
        got = tuple(b.shape) if isinstance(b, torch.Tensor) else type(b).__name__
        raise ValueError(f"{name_b}: expected the shape of {name_a}, {tuple(a.shape)}, got {got}")
    N, _, H = a.shape
    if not isinstance(h0, torch.Tensor) or tuple(h0.shape) != (N, H):
        got = tuple(h0.shape) if isinstance(h0, torch.Tensor) else type(h0).__name__
        raise ValueError(f"{name_h0}: expected shape (N, H) = {(N, H)}, got {got}")


def scan_sequential(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
    """h_t = a_t * h_{t-1} + b_t for t = 1..T, one step at a time: a, b (N, T, H), h0 (N, H) -> (N, T, H)."""
    _check_scan_args("a", a, "b", b, "h0", h0)
    h, out = h0, []
    for a_t, b_t in zip(a.unbind(1), b.unbind(1)):  # unbind once: indexing in the loop makes backward O(T^2)
        h = a_t * h + b_t
        out.append(h)
    return torch.stack(out, dim=1)


def scan_parallel_log(log_a: torch.Tensor, log_b: torch.Tensor, log_h0: torch.Tensor) -> torch.Tensor:
    """The same recurrence from logarithms, all steps at once: log_a, log_b (N, T, H), log_h0 (N, H) -> h (N, T, H).

    a*_t = cumsum(log a)_t;  log h_t = a*_t + logcumsumexp([log h_0, log b_1 - a*_1, ..., log b_t - a*_t]).
    Every operation is a cumulative sum or an elementwise map, so no step waits for the one before.
    """
    _check_scan_args("log_a", log_a, "log_b", log_b, "log_h0", log_h0)
    a_star = torch.cumsum(log_a, dim=1)  # (N, T, H): log of A_t = a_1 ... a_t
    terms = torch.cat([log_h0.unsqueeze(1), log_b - a_star], dim=1)  # (N, T+1, H)
    log_h = a_star + torch.logcumsumexp(terms, dim=1)[:, 1:]  # (N, T, H)
    return torch.exp(log_h)


def minlstm_sequential(k_f: torch.Tensor, k_i: torch.Tensor, k_h: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
    """minLSTM step by step from the three pre-activations (each (N, T, H)) and h0 (N, H) -> h (N, T, H).

    f = sigmoid(k_f), i = sigmoid(k_i), normalised to f' + i' = 1; h_t = f' h_{t-1} + i' g(k_h).
    """
    _check_scan_args("k_f", k_f, "k_i", k_i, "h0", h0)
    if tuple(k_h.shape) != tuple(k_f.shape):
        raise ValueError(f"k_h: expected the shape of k_f, {tuple(k_f.shape)}, got {tuple(k_h.shape)}")
    f, i = torch.sigmoid(k_f), torch.sigmoid(k_i)
    f_n, i_n = f / (f + i), i / (f + i)  # f' + i' = 1: h stays a weighted average of candidates
    return scan_sequential(f_n, i_n * g_positive(k_h), h0)


def minlstm_parallel(k_f: torch.Tensor, k_i: torch.Tensor, k_h: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
    """minLSTM in log space with one parallel scan: same arguments and result as `minlstm_sequential`.

    log f' = -softplus(d) and log i' = -softplus(-d) with d = softplus(-k_f) - softplus(-k_i)
    (= log i - log f), the paper's stable way to write log(f / (f + i)) and log(i / (f + i)).
    h0 must be positive (the paper passes it through g as well).
    """
    _check_scan_args("k_f", k_f, "k_i", k_i, "h0", h0)
    if tuple(k_h.shape) != tuple(k_f.shape):
        raise ValueError(f"k_h: expected the shape of k_f, {tuple(k_f.shape)}, got {tuple(k_h.shape)}")
    if bool((h0 <= 0).any()):
        raise ValueError("h0: expected every entry > 0 (the log-space scan takes log h0), got a value <= 0")
    d = F.softplus(-k_f) - F.softplus(-k_i)  # log i - log f
    log_f, log_i = -F.softplus(d), -F.softplus(-d)
    return scan_parallel_log(log_f, log_i + log_g_positive(k_h), torch.log(h0))


class MinLSTM(nn.Module):
    """One minLSTM layer: a Linear(D, 3H) gives k_f, k_i, k_h from x alone; then either scan.

    forward(x, h0=None, mode="parallel") with x (N, T, D) -> h (N, T, H). ``mode`` is 'parallel'
    (log-space scan) or 'sequential' (a loop over t); h0 defaults to g(0) = 0.5 everywhere, the
    paper's positive start.
    """

    MODES = ("parallel", "sequential")

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        check_int("input_size", input_size, 1)
        check_int("hidden_size", hidden_size, 1)
        self.input_size, self.hidden_size = input_size, hidden_size
        self.linear = nn.Linear(input_size, 3 * hidden_size)  # blocks f, i, h
        bound = 1.0 / math.sqrt(input_size)
        nn.init.uniform_(self.linear.weight, -bound, bound)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}"

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None, mode: str = "parallel") -> torch.Tensor:
        if mode not in self.MODES:
            raise ValueError(f"mode: expected one of {self.MODES}, got {mode!r}")
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[-1] != self.input_size:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x: expected a tensor of shape (N, T, {self.input_size}), got {got}")
        if h0 is None:
            h0 = x.new_full((x.shape[0], self.hidden_size), 0.5)
        k_f, k_i, k_h = self.linear(x).chunk(3, dim=-1)  # each (N, T, H)
        run = minlstm_parallel if mode == "parallel" else minlstm_sequential
        return run(k_f, k_i, k_h, h0)
