"""Reference solutions of the exercises, kept out of sight until a learner asks for one.

In a notebook: `show_solution("forget_gate")` displays the source of the solution below.
"""

from __future__ import annotations

import inspect

import numpy as np

from .activations import sigmoid


def show_solution(name: str):
    """Display the reference solution of exercise ``name`` (a function in this module)."""
    fn = globals().get(name)
    if not callable(fn) or name.startswith("_") or name == "show_solution":
        names = ", ".join(sorted(k for k, v in globals().items() if inspect.isfunction(v)
                                 and v.__module__ == __name__ and not k.startswith("_") and k != "show_solution"))
        raise ValueError(f"name: expected one of the exercises ({names}), got {name!r}")
    from .utils import show_source

    return show_source(fn)


# =================================================================================================
# 01_rnn_vanishing_gradients

def rnn_step_jacobian(next_h, Wh):
    """dh_t/dh_{t-1} = diag(1 - h_t^2) Wh^T for one sequence: next_h (H,), Wh (H, H) -> (H, H).

    Entry [i, j] is d h_t[i] / d h_{t-1}[j]: h_t = tanh(h_{t-1} Wh + ...) with row vectors, so
    h_{t-1}[j] reaches unit i through Wh[j, i], then through the slope of tanh at unit i.
    """
    return np.diag(1.0 - next_h**2) @ Wh.T


def clip_by_norm(g, max_norm):
    """Return g rescaled so that its L2 norm is at most max_norm; the direction never changes."""
    norm = np.sqrt(np.sum(g * g))
    if norm > max_norm:
        return g * (max_norm / norm)
    return g

# =================================================================================================
# 02_cell_state

def apply_gate(gate, values):
    """A gate at work: gate (N, H) in (0, 1) scales values (N, H) entry by entry (0 blocks, 1 passes)."""
    return gate * values


def carousel_gradient(f_values):
    """dC_T/dC_0 along the cell-state path: the product of the forget gates f_1 .. f_T, (T, H) -> (H,)."""
    return np.prod(f_values, axis=0)

# =================================================================================================
# 03_forget_gate

def forget_gate(x, prev_h, W_f, U_f, b_f):
    """f_t = sigmoid(x_t W_f + h_{t-1} U_f + b_f), with W_f (D, H), U_f (H, H), b_f (H,)."""
    return sigmoid(x @ W_f + prev_h @ U_f + b_f)


def memory_after(f, k, c0):
    """What is left of a cell value c0 after k steps with a constant forget gate f (no writes): c0 * f^k."""
    return c0 * f ** k


def forget_bias_for(keep):
    """The forget bias b_f that makes sigmoid(b_f) = keep (inputs at zero): the logit, log(keep / (1 - keep))."""
    return np.log(keep / (1.0 - keep))

# =================================================================================================
# 04_input_gate

def input_gate(x, prev_h, W_i, U_i, b_i):
    """i_t = sigmoid(x_t W_i + h_{t-1} U_i + b_i), with W_i (D, H), U_i (H, H), b_i (H,)."""
    return sigmoid(x @ W_i + prev_h @ U_i + b_i)


def candidate_state(x, prev_h, W_c, U_c, b_c):
    """c~_t = tanh(x_t W_c + h_{t-1} U_c + b_c), with W_c (D, H), U_c (H, H), b_c (H,)."""
    return np.tanh(x @ W_c + prev_h @ U_c + b_c)


# =================================================================================================
# 05_cell_update

def cell_update(prev_c, f, i, g):
    """C_t = f_t * C_{t-1} + i_t * c~_t, all of shape (N, H)."""
    return f * prev_c + i * g


def cell_update_backward(dnext_c, prev_c, f, i, g):
    """Gradients of C_t = f * C_{t-1} + i * g, given dL/dC_t; returned in the forward order.

    Returns dprev_c, df, di, dg, each (N, H).
    """
    dprev_c = dnext_c * f  # dC_t/dC_{t-1} = f_t
    df = dnext_c * prev_c
    di = dnext_c * g
    dg = dnext_c * i
    return dprev_c, df, di, dg


# =================================================================================================
# 06_output_gate

def output_gate_and_hidden(x, prev_h, next_c, W_o, U_o, b_o):
    """o_t = sigmoid(x_t W_o + h_{t-1} U_o + b_o) and h_t = o_t * tanh(C_t); returns (o, h)."""
    o = sigmoid(x @ W_o + prev_h @ U_o + b_o)
    h = o * np.tanh(next_c)  # the NEW cell state C_t, squashed to (-1, 1), then gated
    return o, h


def lstm_cell_step(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step assembled from the gate functions; Wx (D, 4H), Wh (H, 4H), b (4H,), order i, f, g, o.

    Returns (next_h, next_c): the first two outputs of `numpy_lstm.lstm_step_forward`.
    """
    from lstm_helpers.numpy_lstm import candidate, cell_update, forget_gate, hidden_state, input_gate, output_gate

    # each gate function takes the stacked (.., 4H) weights and picks its own block of H columns
    i = input_gate(x, prev_h, Wx, Wh, b)
    f = forget_gate(x, prev_h, Wx, Wh, b)
    g = candidate(x, prev_h, Wx, Wh, b)
    o = output_gate(x, prev_h, Wx, Wh, b)
    next_c = cell_update(prev_c, f, i, g)  # f * C_{t-1} + i * g
    next_h = hidden_state(o, next_c)       # o * tanh(C_t)
    return next_h, next_c

# =================================================================================================
# 07_lstm_from_scratch

def cell_state_grad(dnext_h, dnext_c, o, tanh_c):
    """dL/dC_t from the two paths that leave C_t: straight on to C_{t+1}, and out through h_t = o_t * tanh(C_t)."""
    return dnext_c + dnext_h * o * (1.0 - tanh_c**2)  # highway + (dL/dh_t)(dh_t/dC_t)


def find_bug_gate():
    """`gate_block_errors(mystery_gates_backward)` fails only in the o block of db (about 1e-1); i, f, g pass."""
    return "o"


def fixed_gates_backward(dnext_h, dnext_c, i, f, g, o, tanh_c, prev_c):
    """`mystery_gates_backward` with its one wrong line fixed; returns da (N, 4H), blocks i, f, g, o, and dprev_c."""
    do = dnext_h * tanh_c  # the fix: tanh_c already holds tanh(C_t); the mystery took tanh of it again
    da_o = do * o * (1.0 - o)
    dc = dnext_c + dnext_h * o * (1.0 - tanh_c**2)
    di = dc * g
    dg = dc * i
    df = dc * prev_c
    dprev_c = dc * f
    da_i = di * i * (1.0 - i)
    da_f = df * f * (1.0 - f)
    da_g = dg * (1.0 - g**2)
    return np.concatenate([da_i, da_f, da_g, da_o], axis=1), dprev_c


def numpy_to_torch_weights(Wx, Wh, b):
    """numpy (Wx (D, 4H), Wh (H, 4H), b (4H,)) -> nn.LSTM's (weight_ih (4H, D), weight_hh (4H, H), bias_ih, bias_hh)."""
    # same gate order i, f, g, o on both sides: only the transposes; nn.LSTM adds the two biases, so b goes in once
    return Wx.T, Wh.T, b, np.zeros_like(b)

# =================================================================================================
# 08_rnn_vs_lstm_long_range

def mean_predictor_mse(n_marked=2):
    """MSE of always answering E[sum], when the target is the sum of n_marked independent U(0, 1) numbers."""
    # the best constant is the mean n/2, and its MSE is the variance of the sum; variances of independent
    # numbers add, and Var(u) = E[u^2] - E[u]^2 = 1/3 - 1/4 = 1/12
    return n_marked / 12


def count_parameters(kind, hidden_size, input_size):
    """Trainable numbers in one layer of PyTorch's nn.RNN, nn.GRU or nn.LSTM ('rnn', 'gru', 'lstm')."""
    blocks = {"rnn": 1, "gru": 3, "lstm": 4}[kind]  # the LSTM's i, f, g, o; the GRU's r, z, n
    # per block: weight_ih (H, D), weight_hh (H, H), bias_ih (H,) and bias_hh (H,)
    return blocks * hidden_size * (input_size + hidden_size + 2)


# =================================================================================================
# 09_training_on_gpu

def temperature_probs(logits, temperature):
    """Next-character probabilities at a sampling temperature: softmax(logits / temperature) over the last axis."""
    z = logits / temperature  # dividing: T < 1 spreads the logits apart (sharper), T > 1 pulls them together
    z = z - z.max(axis=-1, keepdims=True)  # exp(1000) overflows; the shift cancels in the ratio
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def lr_at(step, lr, warmup_steps, max_steps, min_lr_ratio):
    """Learning rate at ``step`` (0-based): linear warmup, then cosine decay to min_lr_ratio * lr (as train.lr_factor)."""
    if step < warmup_steps:
        return lr * (step + 1) / warmup_steps  # the first step already moves: lr / warmup_steps, not 0
    progress = min(1.0, (step - warmup_steps) / max(1, max_steps - warmup_steps))  # 0 -> 1, then stays at 1
    return lr * (min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + np.cos(np.pi * progress)))

# =================================================================================================
# 10_inside_a_trained_lstm

def bracket_depth(text):
    """Bracket depth after reading each character of ``text``: +1 at ( [ {, -1 at ) ] }; float array (T,)."""
    depth, out = 0, []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        out.append(depth)  # after character t, so the opening bracket itself is already inside
    return np.array(out, dtype=np.float64)


def unit_correlations(values, feature):
    """Pearson r of every unit (column of ``values``, (T, H)) with ``feature`` (T,): returns (H,)."""
    v = values - values.mean(axis=0)  # (T, H): each unit centred over time
    x = feature - feature.mean()  # (T,)
    return (x @ v) / np.sqrt((v ** 2).sum(axis=0) * (x @ x))  # the 1/T factors cancel, so none are written
