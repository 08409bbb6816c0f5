"""Every checker accepts its reference solution and names typical mistakes; none ever raises."""

import numpy as np
import pytest

from lstm_helpers import checkers, solutions
from lstm_helpers.activations import sigmoid


# =================================================================================================
# 03_forget_gate

def test_forget_gate_checker():
    assert checkers.check_forget_gate(solutions.forget_gate).passed
    r = checkers.check_forget_gate(lambda x, h, W, U, b: np.tanh(x @ W + h @ U + b))
    assert not r.passed and "uses tanh" in r.message
    r = checkers.check_forget_gate(lambda x, h, W, U, b: sigmoid(x @ W + b))
    assert not r.passed and "h_{t-1} is missing" in r.message
    r = checkers.check_forget_gate(lambda x, h, W, U, b: sigmoid(-(x @ W + h @ U + b)))
    assert not r.passed and "sign is flipped" in r.message


def _unfinished(*args):
    raise NotImplementedError


def test_framework_unfinished_crash_none_and_shape():
    r = checkers.check_forget_gate(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message
    r = checkers.check_forget_gate(lambda x, h, W, U, b: x @ U)
    assert not r.passed and r.mistake == "crash" and "ValueError" in r.message and "line" in r.message
    r = checkers.check_forget_gate(lambda *a: None)
    assert not r.passed and "return" in r.message
    r = checkers.check_forget_gate(lambda x, h, W, U, b: sigmoid(x @ W + h @ U + b)[:, :1])
    assert not r.passed and "shape" in r.message


def test_show_solution():
    code = solutions.show_solution("forget_gate")
    assert "def forget_gate" in code.data
    with pytest.raises(ValueError, match="name: expected one of the exercises"):
        solutions.show_solution("nope")


def test_memory_after_checker():
    assert checkers.check_memory_after(solutions.memory_after).passed
    r = checkers.check_memory_after(lambda f, k, c0: c0 * f * k)
    assert not r.passed and "multiplied f by k" in r.message
    r = checkers.check_memory_after(lambda f, k, c0: f ** k)
    assert not r.passed and "c0 is missing" in r.message
    r = checkers.check_memory_after(lambda f, k, c0: c0 * (1 - f) ** k)
    assert not r.passed and "fraction forgotten" in r.message
    r = checkers.check_memory_after(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


def test_forget_bias_for_checker():
    assert checkers.check_forget_bias_for(solutions.forget_bias_for).passed
    assert abs(solutions.forget_bias_for(0.99) - 4.59512) < 1e-5
    assert abs(sigmoid(solutions.forget_bias_for(0.99)) - 0.99) < 1e-12
    r = checkers.check_forget_bias_for(lambda keep: keep)
    assert not r.passed and "fraction itself" in r.message
    r = checkers.check_forget_bias_for(lambda keep: np.log(keep))
    assert not r.passed and "log(keep) is not enough" in r.message
    r = checkers.check_forget_bias_for(lambda keep: np.log((1 - keep) / keep))
    assert not r.passed and "sign is flipped" in r.message
    r = checkers.check_forget_bias_for(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


# =================================================================================================
# 01_rnn_vanishing_gradients

def test_rnn_step_jacobian_checker():
    assert checkers.check_rnn_step_jacobian(solutions.rnn_step_jacobian).passed
    r = checkers.check_rnn_step_jacobian(lambda h, Wh: Wh.T)
    assert not r.passed and "tanh derivative is missing" in r.message
    r = checkers.check_rnn_step_jacobian(lambda h, Wh: np.diag(h) @ Wh.T)
    assert not r.passed and "instead of the tanh slope" in r.message
    r = checkers.check_rnn_step_jacobian(lambda h, Wh: np.diag(1 - h**2) @ Wh)
    assert not r.passed and "Wh^T belongs" in r.message
    r = checkers.check_rnn_step_jacobian(lambda h, Wh: Wh.T @ np.diag(1 - h**2))
    assert not r.passed and "wrong side" in r.message
    r = checkers.check_rnn_step_jacobian(lambda h, Wh: np.diag(1 - np.tanh(h) ** 2) @ Wh.T)
    assert not r.passed and "tanh once more" in r.message
    r = checkers.check_rnn_step_jacobian(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


def test_rnn_step_jacobian_checker_accepts_broadcasting():
    r = checkers.check_rnn_step_jacobian(lambda h, Wh: (1 - h**2)[:, None] * Wh.T)
    assert r.passed, r.message


def test_clip_by_norm_checker():
    assert checkers.check_clip_by_norm(solutions.clip_by_norm).passed
    r = checkers.check_clip_by_norm(lambda g, m: np.clip(g, -m, m))
    assert not r.passed and "np.clip" in r.message
    r = checkers.check_clip_by_norm(lambda g, m: g * (m / np.linalg.norm(g)))
    assert not r.passed and "already below max_norm" in r.message
    r = checkers.check_clip_by_norm(lambda g, m: g / np.linalg.norm(g) if np.linalg.norm(g) > m else g)
    assert not r.passed and "did not multiply by max_norm" in r.message
    r = checkers.check_clip_by_norm(lambda g, m: g * min(1.0, m / np.abs(g).sum()))
    assert not r.passed and "L1 norm" in r.message
    r = checkers.check_clip_by_norm(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


def test_clip_by_norm_solution_keeps_direction_and_matches_package():
    from lstm_helpers.numpy_optim import clip_grad_norm

    g = np.arange(1.0, 7.0).reshape(2, 3)
    clipped = solutions.clip_by_norm(g, 1.5)
    assert np.isclose(np.linalg.norm(clipped), 1.5)
    assert np.allclose(clipped / np.linalg.norm(clipped), g / np.linalg.norm(g))
    grads = {"g": g.copy()}
    clip_grad_norm(grads, 1.5)
    assert np.allclose(grads["g"], clipped)
    assert solutions.clip_by_norm(g, 100.0) is g


# =================================================================================================
# 02_cell_state

def test_apply_gate_checker():
    assert checkers.check_apply_gate(solutions.apply_gate).passed
    r = checkers.check_apply_gate(lambda gate, v: gate + v)
    assert not r.passed and "added the gate" in r.message
    r = checkers.check_apply_gate(lambda gate, v: (1 - gate) * v)
    assert not r.passed and "1 - gate" in r.message
    r = checkers.check_apply_gate(lambda gate, v: sigmoid(gate) * v)
    assert not r.passed and "sigmoid to the gate again" in r.message
    r = checkers.check_apply_gate(lambda gate, v: gate @ v.T)
    assert not r.passed and "shape" in r.message
    r = checkers.check_apply_gate(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


def test_carousel_gradient_checker():
    assert checkers.check_carousel_gradient(solutions.carousel_gradient).passed
    r = checkers.check_carousel_gradient(lambda f: f.sum(axis=0))
    assert not r.passed and "added the forget gates" in r.message
    r = checkers.check_carousel_gradient(lambda f: np.prod(f[1:], axis=0))
    assert not r.passed and "first step is missing" in r.message
    r = checkers.check_carousel_gradient(lambda f: np.prod(f[:-1], axis=0))
    assert not r.passed and "last step is missing" in r.message
    r = checkers.check_carousel_gradient(lambda f: np.prod(f))
    assert not r.passed and "shape" in r.message
    r = checkers.check_carousel_gradient(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


def test_carousel_gradient_matches_the_package_lstm():
    """The exercise's answer is what the package's backward pass measures (input gate closed)."""
    from lstm_helpers.numpy_lstm import gate_slice, init_lstm_params, lstm_backward, lstm_forward

    rng = np.random.default_rng(0)
    T, D, H = 6, 3, 2
    p = init_lstm_params(D, H, rng=rng)
    gate_slice(p["Wh"], "f")[:] = 0.0  # f_t depends on x_t only, so dC_t/dC_{t-1} = diag(f_t) exactly
    gate_slice(p["b"], "i")[:] = -40.0  # input gate closed: no path through the candidate
    h, cache = lstm_forward(rng.normal(size=(1, T, D)), np.zeros((1, H)), p["Wx"], p["Wh"], p["b"],
                            c0=rng.normal(size=(1, H)))
    dc0 = lstm_backward(np.zeros_like(h), cache, dc_last=np.ones((1, H)), return_dc0=True)[-1]
    np.testing.assert_allclose(dc0[0], solutions.carousel_gradient(cache["f"][0]), rtol=1e-12)


# =================================================================================================
# 04_input_gate

def test_input_gate_checker():
    assert checkers.check_input_gate(solutions.input_gate).passed
    r = checkers.check_input_gate(lambda x, h, W, U, b: np.tanh(x @ W + h @ U + b))
    assert not r.passed and "uses tanh" in r.message
    r = checkers.check_input_gate(lambda x, h, W, U, b: sigmoid(x @ W + b))
    assert not r.passed and "h_{t-1} is missing" in r.message
    r = checkers.check_input_gate(lambda x, h, W, U, b: sigmoid(x @ W + h @ U))
    assert not r.passed and "bias b_i is missing" in r.message
    r = checkers.check_input_gate(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


def test_candidate_state_checker():
    assert checkers.check_candidate_state(solutions.candidate_state).passed
    r = checkers.check_candidate_state(lambda x, h, W, U, b: sigmoid(x @ W + h @ U + b))
    assert not r.passed and "could only ever grow" in r.message
    r = checkers.check_candidate_state(lambda x, h, W, U, b: np.tanh(x @ W + h @ U))
    assert not r.passed and "bias b_c is missing" in r.message
    r = checkers.check_candidate_state(lambda x, h, W, U, b: x @ W + h @ U + b)
    assert not r.passed and "pre-activation" in r.message
    r = checkers.check_candidate_state(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


# =================================================================================================
# 05_cell_update

def test_cell_update_checker():
    assert checkers.check_cell_update(solutions.cell_update).passed
    r = checkers.check_cell_update(lambda c, f, i, g: i * g)
    assert not r.passed and "forgot the previous cell state" in r.message
    r = checkers.check_cell_update(lambda c, f, i, g: i * c + f * g)
    assert not r.passed and "swapped f_t and i_t" in r.message
    r = checkers.check_cell_update(lambda c, f, i, g: f + c + i + g)
    assert not r.passed and "added where the gates should multiply" in r.message
    r = checkers.check_cell_update(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


def test_cell_update_backward_checker():
    assert checkers.check_cell_update_backward(solutions.cell_update_backward).passed
    r = checkers.check_cell_update_backward(lambda d, c, f, i, g: (d * i, d * c, d * g, d * i))
    assert not r.passed and "multiplied by the input gate" in r.message
    r = checkers.check_cell_update_backward(lambda d, c, f, i, g: (d * g, d * c, d * g, d * i))
    assert not r.passed and "multiplied by the candidate" in r.message
    r = checkers.check_cell_update_backward(lambda d, c, f, i, g: (f, d * c, d * g, d * i))
    assert not r.passed and "upstream gradient dnext_c" in r.message
    r = checkers.check_cell_update_backward(lambda d, c, f, i, g: (d * f, d * c, d * i, d * g))
    assert not r.passed and "di and dg are swapped" in r.message
    r = checkers.check_cell_update_backward(lambda d, c, f, i, g: (d * f, d * c))
    assert not r.passed and "returned 2 value(s)" in r.message
    r = checkers.check_cell_update_backward(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


# =================================================================================================
# 06_output_gate

def test_output_gate_and_hidden_checker():
    check = checkers.check_output_gate_and_hidden
    assert check(solutions.output_gate_and_hidden).passed

    def o_of(x, h, W, U, b):
        return sigmoid(x @ W + h @ U + b)

    wrong = {
        "without tanh": lambda x, h, c, W, U, b: (o_of(x, h, W, U, b), o_of(x, h, W, U, b) * c),
        "uses tanh instead of sigmoid": lambda x, h, c, W, U, b: (np.tanh(x @ W + h @ U + b),
                                                                   np.tanh(x @ W + h @ U + b) * np.tanh(c)),
        "without the gate": lambda x, h, c, W, U, b: (o_of(x, h, W, U, b), np.tanh(c)),
        "squashed after gating": lambda x, h, c, W, U, b: (o_of(x, h, W, U, b), np.tanh(o_of(x, h, W, U, b) * c)),
        "outputs are swapped": lambda x, h, c, W, U, b: solutions.output_gate_and_hidden(x, h, c, W, U, b)[::-1],
    }
    for words, fn in wrong.items():
        r = check(fn)
        assert not r.passed and words in r.message, (words, r.message)
    r = check(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "np.tanh(next_c)" in r.message


def test_lstm_cell_step_checker():
    from lstm_helpers.numpy_lstm import lstm_step_forward

    check = checkers.check_lstm_cell_step
    assert check(solutions.lstm_cell_step).passed
    assert check(lambda *a: lstm_step_forward(*a)[:2]).passed

    def step(x, h, c, W, U, b, *, order="ifgo", g_act=np.tanh, keep_old=True, h_from_old=False):
        a = dict(zip(order, np.split(x @ W + h @ U + b, 4, axis=-1)))
        i, f, g, o = sigmoid(a["i"]), sigmoid(a["f"]), g_act(a["g"]), sigmoid(a["o"])
        next_c = (f * c if keep_old else 0) + i * g
        return o * np.tanh(c if h_from_old else next_c), next_c

    wrong = {
        "forget and input gates are swapped": lambda *a: step(*a, order="fi" + "go"),
        "CS231n's order": lambda *a: step(*a, order="ifog"),
        "candidate c~_t goes through a sigmoid": lambda *a: step(*a, g_act=sigmoid),
        "previous cell state is missing": lambda *a: step(*a, keep_old=False),
        "old cell state C_{t-1}": lambda *a: step(*a, h_from_old=True),
        "outputs are swapped": lambda *a: step(*a)[::-1],
    }
    for words, fn in wrong.items():
        r = check(fn)
        assert not r.passed and words in r.message, (words, r.message)
    r = check(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "cell_update" in r.message


def test_lstm_cell_step_solution_shown():
    assert "def lstm_cell_step" in solutions.show_solution("lstm_cell_step").data
    assert "def output_gate_and_hidden" in solutions.show_solution("output_gate_and_hidden").data


# =================================================================================================
# 07_lstm_from_scratch

def _todo_07(*args):
    raise NotImplementedError


def test_cell_state_grad_checker():
    assert checkers.check_cell_state_grad(solutions.cell_state_grad).passed
    r = checkers.check_cell_state_grad(lambda dh, dc, o, tc: dh * o * (1 - tc**2))
    assert not r.passed and "cell-state highway" in r.message
    r = checkers.check_cell_state_grad(lambda dh, dc, o, tc: dc + dh * o)
    assert not r.passed and "tanh derivative is missing" in r.message
    r = checkers.check_cell_state_grad(lambda dh, dc, o, tc: dc + dh * o * (1 - o))
    assert not r.passed and "sigmoid's derivative" in r.message
    r = checkers.check_cell_state_grad(_todo_07)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


def test_find_bug_gate_checker():
    assert checkers.check_find_bug_gate(solutions.find_bug_gate).passed
    assert checkers.check_find_bug_gate(lambda: " Output gate ").passed
    r = checkers.check_find_bug_gate(lambda: "g")
    assert not r.passed and "candidate state" in r.message and "passes the gradient check" in r.message
    r = checkers.check_find_bug_gate(lambda: "x")
    assert not r.passed and "one letter" in r.message
    r = checkers.check_find_bug_gate(lambda: None)
    assert not r.passed and "return" in r.message
    r = checkers.check_find_bug_gate(_todo_07)
    assert not r.passed and r.mistake == "unfinished" and "gate_block_errors" in r.message


def test_mystery_backward_is_wrong_only_in_the_output_block():
    from lstm_helpers.numpy_lstm import _gates_backward

    case = checkers._gates_backward_case(np.random.default_rng(0), 3, 4)
    da_m, dprev_c_m = checkers.mystery_gates_backward(*case)
    dh, dc, i, f, g, o, tanh_c, prev_c = case
    next_c = np.arctanh(tanh_c)
    da, dprev_c, _ = _gates_backward(dh, dc, i, f, g, o, tanh_c, prev_c, next_c, None)
    np.testing.assert_allclose(solutions.fixed_gates_backward(*case)[0], da)
    H = 4
    assert np.allclose(da_m[:, :3 * H], da[:, :3 * H]) and np.allclose(dprev_c_m, dprev_c)
    assert not np.allclose(da_m[:, 3 * H:], da[:, 3 * H:])


def test_fixed_gates_backward_checker():
    assert checkers.check_fixed_gates_backward(solutions.fixed_gates_backward).passed
    r = checkers.check_fixed_gates_backward(checkers.mystery_gates_backward)
    assert not r.passed and "still the mystery" in r.message

    def old_cell(dh, dc, i, f, g, o, tc, pc):
        da, dprev_c = solutions.fixed_gates_backward(dh, dc, i, f, g, o, tc, pc)
        H = i.shape[1]
        da[:, 3 * H:] = dh * np.tanh(pc) * o * (1 - o)
        return da, dprev_c

    r = checkers.check_fixed_gates_backward(old_cell)
    assert not r.passed and "OLD cell state" in r.message
    r = checkers.check_fixed_gates_backward(_todo_07)
    assert not r.passed and r.mistake == "unfinished"


def test_numpy_to_torch_weights_checker():
    assert checkers.check_numpy_to_torch_weights(solutions.numpy_to_torch_weights).passed
    # any split of the bias whose sum is b is right
    assert checkers.check_numpy_to_torch_weights(lambda Wx, Wh, b: (Wx.T, Wh.T, 0.25 * b, 0.75 * b)).passed
    r = checkers.check_numpy_to_torch_weights(lambda Wx, Wh, b: (Wx, Wh, b, np.zeros_like(b)))
    assert not r.passed and "forgot the transposes" in r.message
    r = checkers.check_numpy_to_torch_weights(lambda Wx, Wh, b: (Wx.T, Wh.T, b, b))
    assert not r.passed and "both bias_ih and bias_hh" in r.message
    r = checkers.check_numpy_to_torch_weights(lambda Wx, Wh, b: (Wx.T, Wh.T, b))
    assert not r.passed and "3 value(s); 4 were expected" in r.message
    r = checkers.check_numpy_to_torch_weights(_todo_07)
    assert not r.passed and r.mistake == "unfinished"


def test_numpy_to_torch_weights_solution_loads_into_nn_lstm():
    torch = pytest.importorskip("torch")
    from lstm_helpers.numpy_lstm import init_lstm_params, lstm_forward

    p = init_lstm_params(3, 4, rng=np.random.default_rng(1))
    ref = torch.nn.LSTM(3, 4, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for t, a in zip((ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0),
                        solutions.numpy_to_torch_weights(p["Wx"], p["Wh"], p["b"])):
            t.copy_(torch.from_numpy(np.ascontiguousarray(a)))
    x = np.random.default_rng(2).normal(size=(2, 5, 3))
    h, _ = lstm_forward(x, np.zeros((2, 4)), p["Wx"], p["Wh"], p["b"])
    out, _ = ref(torch.from_numpy(x))
    assert np.abs(out.detach().numpy() - h).max() < 1e-12


# =================================================================================================
# 08_rnn_vs_lstm_long_range

def test_mean_predictor_mse_checker():
    from lstm_helpers.data import adding_problem

    assert checkers.check_mean_predictor_mse(solutions.mean_predictor_mse).passed
    _, y = adding_problem(200_000, 20, seed=0)  # the analytic value is what the data give
    assert abs(np.mean((y - 1.0) ** 2) - solutions.mean_predictor_mse(2)) < 2e-3
    r = checkers.check_mean_predictor_mse(lambda n=2: 1 / 12)
    assert not r.passed and "variance of ONE" in r.message
    r = checkers.check_mean_predictor_mse(lambda n=2: np.sqrt(n / 12))
    assert not r.passed and "standard deviation" in r.message
    r = checkers.check_mean_predictor_mse(lambda n=2: n / 12 + n**2 / 4)
    assert not r.passed and "predicting 0" in r.message
    r = checkers.check_mean_predictor_mse(lambda n=2: n**2 / 12)
    assert not r.passed and "copies of ONE number" in r.message
    r = checkers.check_mean_predictor_mse(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


def test_count_parameters_checker():
    import torch

    layers = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
    for kind, layer in layers.items():  # the reference agrees with PyTorch itself
        for H, D in ((32, 2), (5, 7), (1, 1)):
            assert solutions.count_parameters(kind, H, D) == sum(p.numel() for p in layer(D, H).parameters())
    assert checkers.check_count_parameters(solutions.count_parameters).passed
    blocks = {"rnn": 1, "gru": 3, "lstm": 4}
    r = checkers.check_count_parameters(lambda kind, H, D: blocks[kind] * H * (D + H + 1))
    assert not r.passed and "one bias vector" in r.message
    r = checkers.check_count_parameters(lambda kind, H, D: {**blocks, "lstm": 3}[kind] * H * (D + H + 2))
    assert not r.passed and "LSTM has three blocks" in r.message
    r = checkers.check_count_parameters(lambda kind, H, D: {**blocks, "gru": 4}[kind] * H * (D + H + 2))
    assert not r.passed and "GRU has four blocks" in r.message
    r = checkers.check_count_parameters(lambda kind, H, D: blocks[kind] * H * (D + 2))
    assert not r.passed and "weight_hh" in r.message
    r = checkers.check_count_parameters(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


# =================================================================================================
# 09_training_on_gpu

def test_temperature_probs_checker():
    import torch

    assert checkers.check_temperature_probs(solutions.temperature_probs).passed
    logits = np.random.default_rng(0).normal(size=(4, 9))
    for T in (0.5, 1.0, 1.7):  # the reference is what CharLSTM.generate samples from
        want = torch.softmax(torch.from_numpy(logits) / T, dim=-1).numpy()
        assert np.allclose(solutions.temperature_probs(logits, T), want, atol=1e-12)
    sm = checkers._softmax_last
    r = checkers.check_temperature_probs(lambda z, T: sm(z * T))
    assert not r.passed and "multiplied the logits by the temperature" in r.message
    r = checkers.check_temperature_probs(lambda z, T: sm(z) / T)
    assert not r.passed and "softmax first" in r.message
    r = checkers.check_temperature_probs(lambda z, T: sm(z) ** (1 / T))
    assert not r.passed and "did not normalise them again" in r.message
    r = checkers.check_temperature_probs(lambda z, T: sm(z))
    assert not r.passed and "no effect" in r.message
    with np.errstate(over="ignore", invalid="ignore"):
        r = checkers.check_temperature_probs(lambda z, T: np.exp(z / T) / np.exp(z / T).sum(-1, keepdims=True))
    assert not r.passed and "overflows" in r.message
    r = checkers.check_temperature_probs(lambda z, T: np.exp(z / T - (z / T).max()) / np.exp(z / T - (z / T).max()).sum())
    assert not r.passed and "whole array" in r.message
    r = checkers.check_temperature_probs(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


def test_lr_at_checker_and_solution_match_train_schedule():
    from lstm_helpers import train

    cfg = train.get_preset("tiny", lr=3e-3, warmup_steps=7, max_steps=50, min_lr_ratio=0.1)
    for step in range(60):
        assert abs(solutions.lr_at(step, 3e-3, 7, 50, 0.1) - cfg.lr * train.lr_factor(step, cfg)) < 1e-15
    assert checkers.check_lr_at(solutions.lr_at).passed

    def cosine(s, lr, w, m, r, *, linear=False, clamp=True, floor=True):
        p = (s - w) / max(1, m - w)
        p = min(1.0, p) if clamp else p
        shape = 1 - p if linear else 0.5 * (1 + np.cos(np.pi * p))
        return lr * (r + (1 - r) * shape) if floor else lr * shape

    def warm(rest, from_zero=False):
        return lambda s, lr, w, m, r: (lr * (s if from_zero else s + 1) / w) if s < w else rest(s, lr, w, m, r)

    r = checkers.check_lr_at(lambda s, lr, w, m, r: cosine(s, lr, 0, m, r))
    assert not r.passed and "no warmup" in r.message
    r = checkers.check_lr_at(lambda s, lr, w, m, r: cosine(s, lr, w, m, r) if s >= w else lr)
    assert not r.passed and "no warmup" in r.message
    r = checkers.check_lr_at(warm(cosine, from_zero=True))
    assert not r.passed and "warmup starts at 0" in r.message
    r = checkers.check_lr_at(warm(lambda *a: cosine(*a, linear=True)))
    assert not r.passed and "straight line" in r.message
    r = checkers.check_lr_at(warm(lambda *a: cosine(*a, floor=False)))
    assert not r.passed and "decays to 0" in r.message
    r = checkers.check_lr_at(warm(lambda *a: cosine(*a, clamp=False)))
    assert not r.passed and "rises again" in r.message
    r = checkers.check_lr_at(lambda *a: None)
    assert not r.passed and "return" in r.message
    r = checkers.check_lr_at(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


# =================================================================================================
# 10_inside_a_trained_lstm

def test_bracket_depth_checker():
    assert checkers.check_bracket_depth(solutions.bracket_depth).passed
    assert solutions.bracket_depth("f([x])").tolist() == [0, 1, 2, 2, 1, 0]

    def only_opening(text):
        return np.cumsum([ch in "([{" for ch in text]).astype(float)

    def only_round(text):
        return np.cumsum([(ch == "(") - (ch == ")") for ch in text]).astype(float)

    def one_late(text):
        return np.concatenate([[0.0], solutions.bracket_depth(text)[:-1]])

    r = checkers.check_bracket_depth(only_opening)
    assert not r.passed and "never decreases" in r.message
    r = checkers.check_bracket_depth(only_round)
    assert not r.passed and "only round brackets" in r.message
    r = checkers.check_bracket_depth(one_late)
    assert not r.passed and "one character late" in r.message
    r = checkers.check_bracket_depth(lambda text: list(solutions.bracket_depth(text)))  # a list is fine
    assert r.passed
    r = checkers.check_bracket_depth(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message


def test_bracket_depth_solution_matches_package_feature_on_plain_code():
    from lstm_helpers.interpretability import text_features

    code = "d[k](x, {1: [2]})\nf(a)[0]"  # no strings or comments: the package's feature agrees
    assert np.array_equal(text_features(code)["bracket depth"], solutions.bracket_depth(code))


def test_unit_correlations_checker():
    assert checkers.check_unit_correlations(solutions.unit_correlations).passed
    v = np.random.default_rng(0).normal(size=(30, 3))
    x = v[:, 1] + np.random.default_rng(1).normal(size=30)
    want = [np.corrcoef(v[:, u], x)[0, 1] for u in range(3)]
    assert np.allclose(solutions.unit_correlations(v, x), want, atol=1e-12)
    # a correct answer written another way passes too
    assert checkers.check_unit_correlations(
        lambda values, feature: np.array([np.corrcoef(values[:, u], feature)[0, 1] for u in range(values.shape[1])])
    ).passed
    r = checkers.check_unit_correlations(lambda values, feature: feature @ values / np.sqrt(
        (values ** 2).sum(axis=0) * (feature @ feature)))
    assert not r.passed and "did not subtract the means" in r.message
    r = checkers.check_unit_correlations(lambda values, feature: (feature - feature.mean()) @ (
        values - values.mean(axis=0)) / len(feature))
    assert not r.passed and "that is the covariance" in r.message
    r = checkers.check_unit_correlations(lambda values, feature: np.cov(values.T, feature)[-1, :-1]
                                         / (values.std(axis=0) * feature.std()))
    assert not r.passed and "mixed 1 / (T - 1)" in r.message
    r = checkers.check_unit_correlations(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message
