"""Notebook 11 (the LSTM today): its two exercises with reference solutions, typical mistakes and checkers.

Exercise 1 writes one minLSTM step; exercise 2 the sLSTM's stabilised exponential gates.
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import Case, CheckResult, Mistake, register_hints, run_check, solution

# =================================================================================================
# Exercise 1: one minLSTM step


def g_positive(x):
    """Feng et al.'s candidate map: x + 0.5 for x >= 0, sigmoid(x) below (numpy)."""
    return np.where(x >= 0, x + 0.5, sigmoid(x))


@solution
def minlstm_step(prev_h, k_f, k_i, k_h):
    """Reference: h_t = f' * h_{t-1} + i' * g(k_h) with f = sigmoid(k_f), i = sigmoid(k_i), f' + i' = 1."""
    f, i = sigmoid(k_f), sigmoid(k_i)
    return f / (f + i) * prev_h + i / (f + i) * g_positive(k_h)


MINLSTM_STEP_MISTAKES = [
    Mistake("the gates are not normalised: your two weights do not add up to 1. What can you divide "
            "each of them by so that they do?",
            lambda h, kf, ki, kh: sigmoid(kf) * h + sigmoid(ki) * g_positive(kh)),
    Mistake("the candidate is the raw pre-activation k_h, which can be negative. What must it stay for "
            "the log-space scan, and which function of the module makes it so?",
            lambda h, kf, ki, kh: (sigmoid(kf) * h + sigmoid(ki) * kh) / (sigmoid(kf) + sigmoid(ki))),
    Mistake("the candidate went through tanh, as in the LSTM, so it can be negative. What must it stay "
            "for the log-space scan, and which function of the module makes it so?",
            lambda h, kf, ki, kh: (sigmoid(kf) * h + sigmoid(ki) * np.tanh(kh)) / (sigmoid(kf) + sigmoid(ki))),
    Mistake("the input weight is 1 - f, the GRU's coupling, so the input gate k_i plays no part. How "
            "does minLSTM use both gates and still make the weights add up to 1?",
            lambda h, kf, ki, kh: sigmoid(kf) * h + (1 - sigmoid(kf)) * g_positive(kh)),
    Mistake("the two weights are swapped. Which of them decides how much of h_{t-1} is kept?",
            lambda h, kf, ki, kh: (sigmoid(ki) * h + sigmoid(kf) * g_positive(kh)) / (sigmoid(kf) + sigmoid(ki))),
]


HINTS = register_hints({
    "minlstm_step": [
        "minLSTM's gates read only the input: what makes f' + i' = 1 after normalising, and why must the "
        "candidate stay positive for the log-space scan?",
        "squash both gate inputs with the sigmoid, divide each by their sum, and pass the candidate "
        "input through g_positive."],
    "stabilised_gates": [
        "the stabiliser is a running maximum of log weights: which two log weights compete at step t, and "
        "what do you subtract so that neither exponential can overflow?",
        "take the larger of the forget gate's log weight (plus the previous stabiliser) and the input "
        "gate's pre-activation; subtract it inside both exponentials."],
})


def check_minlstm_step(fn) -> CheckResult:
    """Check a learner's ``minlstm_step(prev_h, k_f, k_i, k_h)`` on three cases (N, H differ)."""
    rng = np.random.default_rng(11)
    cases = [Case(tuple(rng.normal(0, 2, size=(N, H)) for _ in range(4))) for N, H in ((3, 5), (1, 1), (4, 2))]
    return run_check("minlstm_step", fn, minlstm_step, cases, MISTAKES["minlstm_step"],
                     hint=HINTS["minlstm_step"])


# =================================================================================================
# Exercise 2: the sLSTM's stabilised gates


@solution
def stabilised_gates(a_i, log_f, prev_m):
    """Reference: m_t = max(log f_t + m_{t-1}, a_i); i' = exp(a_i - m_t); f' = exp(log f_t + m_{t-1} - m_t)."""
    m = np.maximum(log_f + prev_m, a_i)
    return np.exp(a_i - m), np.exp(log_f + prev_m - m), m


STABILISED_GATES_MISTAKES = [
    Mistake("m_t forgets m_{t-1}. The stabiliser is a RUNNING maximum: what does the forget gate's log "
            "weight at step t add to?",
            lambda a, lf, pm: (np.exp(a - np.maximum(lf, a)), np.exp(lf + pm - np.maximum(lf, a)), np.maximum(lf, a))),
    Mistake("f' leaves out m_{t-1}. The previous cell state was stored scaled by exp(-m_{t-1}): what "
            "must the forget weight put back?",
            lambda a, lf, pm: (np.exp(a - np.maximum(lf + pm, a)), np.exp(lf - np.maximum(lf + pm, a)),
                               np.maximum(lf + pm, a))),
    Mistake("the gates are not stabilised: your exponentials can overflow. What do you subtract inside "
            "both of them?",
            lambda a, lf, pm: (np.exp(a), np.exp(lf), np.maximum(lf + pm, a))),
    Mistake("m_t is a minimum, so the exponents can be positive and overflow. Which choice makes every "
            "exponent <= 0?",
            lambda a, lf, pm: (np.exp(a - np.minimum(lf + pm, a)), np.exp(lf + pm - np.minimum(lf + pm, a)),
                               np.minimum(lf + pm, a))),
]


MISTAKES = {"minlstm_step": MINLSTM_STEP_MISTAKES, "stabilised_gates": STABILISED_GATES_MISTAKES}


def check_stabilised_gates(fn) -> CheckResult:
    """Check a learner's ``stabilised_gates(a_i, log_f, prev_m)`` -> (i', f', m_t), including huge pre-activations."""
    rng = np.random.default_rng(12)
    cases = [Case((rng.normal(0, 3, (3, 4)), rng.normal(0, 3, (3, 4)), rng.normal(0, 3, (3, 4)))),
             Case((np.array([[500.0, -2.0]]), np.array([[0.5, 300.0]]), np.array([[1.0, 2.0]])))]
    with np.errstate(over="ignore", invalid="ignore"):  # a mistaken answer may overflow; the message says so
        return run_check("stabilised_gates", fn, stabilised_gates, cases, MISTAKES["stabilised_gates"],
                         hint=HINTS["stabilised_gates"])


# =================================================================================================
# The widget's figure: one sLSTM unit against one LSTM unit, fed the same pre-activations


def gate_scenario(write=6.0, forget_bias=3.0, T=40, switch=20):
    """Pre-activations of a one-unit story: the candidate is +1 (tanh 0.76) until ``switch``, -1 after.

    The input-gate pre-activation is 0 except at step ``switch``, where it is ``write``; the forget
    pre-activation is ``forget_bias`` throughout. Returns (a_i, a_f, a_z), each of shape (T,).
    """
    a_i = np.zeros(T)
    a_i[switch] = write
    a_f = np.full(T, float(forget_bias))
    a_z = np.where(np.arange(T) < switch, 1.0, -1.0)
    return a_i, a_f, a_z


def slstm_and_lstm_traces(a_i, a_f, a_z, forget_gate="sigmoid"):
    """Run `xlstm.slstm_forward` and a sigmoid-gated LSTM cell on the same pre-activations (output gate 1).

    The sLSTM sees them through an input of three features wired straight into its i, f, z blocks.
    Returns dict with h_slstm (c / n), h_lstm (tanh(c)), c_lstm and the sLSTM's stabilised gates i', f'.
    """
    from ..xlstm import slstm_forward

    T = len(a_i)
    x = np.stack([a_i, a_f, a_z], axis=1)[None]  # (1, T, 3)
    Wx = np.zeros((3, 4))
    Wx[0, 0] = Wx[1, 1] = Wx[2, 2] = 1.0  # feature k -> gate block k (i, f, z); o from its bias only
    b = np.array([0.0, 0.0, 0.0, 30.0])  # output gate sigmoid(30) = 1
    h, cache = slstm_forward(x, np.zeros((1, 1)), Wx, np.zeros((1, 4)), b, forget_gate=forget_gate)
    c = 0.0
    c_lstm = np.zeros(T)
    for t in range(T):
        c = sigmoid(a_f[t]) * c + sigmoid(a_i[t]) * np.tanh(a_z[t])
        c_lstm[t] = c
    return {"h_slstm": h[0, :, 0], "h_lstm": np.tanh(c_lstm), "c_lstm": c_lstm, "i": cache["i"][0, :, 0],
            "f": cache["f"][0, :, 0]}


def draw_gate_story(ax=None, write=6.0, forget_bias=3.0):
    """The widget's picture: how far one write at step 20 moves the memory, sLSTM against LSTM."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.2))
    a_i, a_f, a_z = gate_scenario(write, forget_bias)
    tr = slstm_and_lstm_traces(a_i, a_f, a_z)
    t = np.arange(len(a_i))
    ax.plot(t, np.tanh(a_z), color="0.6", ls=":", label="candidate $z_t$")
    ax.plot(t, tr["h_slstm"], color="#9467bd", lw=2, label=r"sLSTM $h_t = c_t / n_t$ (exponential $i_t$)")
    ax.plot(t, tr["h_lstm"], color="#1f77b4", lw=2, label=r"LSTM $h_t = \tanh(c_t)$ (sigmoid $i_t$)")
    ax.axvline(20, color="k", lw=0.8, alpha=0.4)
    ax.set_ylim(-1.15, 1.15)
    ax.set_xlabel("time step t")
    ax.set_title(f"One write at t = 20 with input pre-activation {write:g}, forget pre-activation {forget_bias:g}",
                 fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    return ax
