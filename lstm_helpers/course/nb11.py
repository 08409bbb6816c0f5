"""Notebook 11 (the LSTM today): its two exercises with reference solutions, typical mistakes and checkers.

Exercise 1 writes one minLSTM step; exercise 2 the sLSTM's stabilised exponential gates.
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..checkers import Case, CheckResult, Mistake, run_check

# =================================================================================================
# Exercise 1: one minLSTM step


def g_positive(x):
    """Feng et al.'s candidate map: x + 0.5 for x >= 0, sigmoid(x) below (numpy)."""
    return np.where(x >= 0, x + 0.5, sigmoid(x))


def minlstm_step(prev_h, k_f, k_i, k_h):
    """Reference: h_t = f' * h_{t-1} + i' * g(k_h) with f = sigmoid(k_f), i = sigmoid(k_i), f' + i' = 1."""
    f, i = sigmoid(k_f), sigmoid(k_i)
    return f / (f + i) * prev_h + i / (f + i) * g_positive(k_h)


MINLSTM_STEP_MISTAKES = [
    Mistake("the gates are not normalised: use f' = f / (f + i) and i' = i / (f + i), so that f' + i' = 1.",
            lambda h, kf, ki, kh: sigmoid(kf) * h + sigmoid(ki) * g_positive(kh)),
    Mistake("the candidate is the raw pre-activation k_h: pass it through g (x + 0.5 above 0, sigmoid below).",
            lambda h, kf, ki, kh: (sigmoid(kf) * h + sigmoid(ki) * kh) / (sigmoid(kf) + sigmoid(ki))),
    Mistake("the candidate went through tanh, as in the LSTM; minLSTM uses g (x + 0.5 above 0, sigmoid below).",
            lambda h, kf, ki, kh: (sigmoid(kf) * h + sigmoid(ki) * np.tanh(kh)) / (sigmoid(kf) + sigmoid(ki))),
    Mistake("the input weight is 1 - f (the GRU's coupling); minLSTM normalises i' = i / (f + i) instead.",
            lambda h, kf, ki, kh: sigmoid(kf) * h + (1 - sigmoid(kf)) * g_positive(kh)),
    Mistake("the two weights are swapped: f' multiplies h_{t-1} and i' the candidate.",
            lambda h, kf, ki, kh: (sigmoid(ki) * h + sigmoid(kf) * g_positive(kh)) / (sigmoid(kf) + sigmoid(ki))),
]


def check_minlstm_step(fn) -> CheckResult:
    """Check a learner's ``minlstm_step(prev_h, k_f, k_i, k_h)`` on three cases (N, H differ)."""
    rng = np.random.default_rng(11)
    cases = [Case(tuple(rng.normal(0, 2, size=(N, H)) for _ in range(4))) for N, H in ((3, 5), (1, 1), (4, 2))]
    return run_check("minlstm_step", fn, minlstm_step, cases, MINLSTM_STEP_MISTAKES,
                     hint="f = sigmoid(k_f), i = sigmoid(k_i); divide both by (f + i); candidate g(k_h).")


# =================================================================================================
# Exercise 2: the sLSTM's stabilised gates


def stabilised_gates(a_i, log_f, prev_m):
    """Reference: m_t = max(log f_t + m_{t-1}, a_i); i' = exp(a_i - m_t); f' = exp(log f_t + m_{t-1} - m_t)."""
    m = np.maximum(log_f + prev_m, a_i)
    return np.exp(a_i - m), np.exp(log_f + prev_m - m), m


STABILISED_GATES_MISTAKES = [
    Mistake("m_t forgets m_{t-1}: it is max(log f_t + m_{t-1}, i~_t), the running maximum of the log-weights.",
            lambda a, lf, pm: (np.exp(a - np.maximum(lf, a)), np.exp(lf + pm - np.maximum(lf, a)), np.maximum(lf, a))),
    Mistake("f' needs + m_{t-1}: f' = exp(log f_t + m_{t-1} - m_t), because c_{t-1} was stored scaled by exp(-m_{t-1}).",
            lambda a, lf, pm: (np.exp(a - np.maximum(lf + pm, a)), np.exp(lf - np.maximum(lf + pm, a)),
                               np.maximum(lf + pm, a))),
    Mistake("the gates are not stabilised: i' = exp(i~_t - m_t) and f' = exp(log f_t + m_{t-1} - m_t), not exp(i~_t).",
            lambda a, lf, pm: (np.exp(a), np.exp(lf), np.maximum(lf + pm, a))),
    Mistake("m_t is a minimum; it must be the maximum, so that every exponent is <= 0.",
            lambda a, lf, pm: (np.exp(a - np.minimum(lf + pm, a)), np.exp(lf + pm - np.minimum(lf + pm, a)),
                               np.minimum(lf + pm, a))),
]


def check_stabilised_gates(fn) -> CheckResult:
    """Check a learner's ``stabilised_gates(a_i, log_f, prev_m)`` -> (i', f', m_t), including huge pre-activations."""
    rng = np.random.default_rng(12)
    cases = [Case((rng.normal(0, 3, (3, 4)), rng.normal(0, 3, (3, 4)), rng.normal(0, 3, (3, 4)))),
             Case((np.array([[500.0, -2.0]]), np.array([[0.5, 300.0]]), np.array([[1.0, 2.0]])))]
    result = run_check("stabilised_gates", fn, stabilised_gates, cases, STABILISED_GATES_MISTAKES,
                       hint="m = np.maximum(log_f + prev_m, a_i); then subtract m inside both exponentials.")
    return result
