"""Notebook 07's exercises: the mystery backward is wrong only in the o block; weights load into nn.LSTM."""

import numpy as np
import pytest

from lstm_helpers.course import nb07


def test_find_bug_gate_checker_answers():
    assert nb07.check_find_bug_gate(lambda: (" Output gate ", "do")).passed
    assert nb07.check_find_bug_gate(lambda: ["o", "do = dnext_h * np.tanh(tanh_c)"]).passed
    r = nb07.check_find_bug_gate(lambda: ("g", "dg"))
    assert not r.passed and "candidate state" in r.message and "passes the gradient check" in r.message
    r = nb07.check_find_bug_gate(lambda: ("x", "do"))
    assert not r.passed and "one letter" in r.message
    r = nb07.check_find_bug_gate(lambda: None)
    assert not r.passed and "return" in r.message


def test_find_bug_gate_cannot_be_passed_by_a_one_in_four_guess():
    """The gate alone is not enough: the wrong line must be named too, and each near miss says why it is wrong."""
    for gate in "ifgo":
        assert not nb07.check_find_bug_gate(lambda gate=gate: gate).passed
    r = nb07.check_find_bug_gate(lambda: "o")
    assert r.mistake == "not two answers" and "(gate, line)" in r.message
    r = nb07.check_find_bug_gate(lambda: ("o", "da_o"))
    assert not r.passed and r.mistake == "right slope"
    r = nb07.check_find_bug_gate(lambda: ("o", "dc"))
    assert not r.passed and r.mistake == "line outside the block"
    r = nb07.check_find_bug_gate(lambda: ("o", "tanh"))
    assert not r.passed and r.mistake == "not a line"
    guesses = [(gate, line) for gate in "ifgo" for line in nb07.MYSTERY_LINES]
    assert sum(nb07.check_find_bug_gate(lambda g=g: g).passed for g in guesses) == 1  # 1 in 40


def test_mystery_backward_is_wrong_only_in_the_output_block():
    from lstm_helpers.numpy_lstm import gates_backward

    case = nb07.gates_backward_case(np.random.default_rng(0), 3, 4)
    da_m, dprev_c_m = nb07.mystery_gates_backward(*case)
    dh, dc, i, f, g, o, tanh_c, prev_c = case
    next_c = np.arctanh(tanh_c)
    da, dprev_c, _ = gates_backward(dh, dc, i, f, g, o, tanh_c, prev_c, next_c, None)
    np.testing.assert_allclose(nb07.fixed_gates_backward(*case)[0], da)
    H = 4
    assert np.allclose(da_m[:, :3 * H], da[:, :3 * H]) and np.allclose(dprev_c_m, dprev_c)
    assert not np.allclose(da_m[:, 3 * H:], da[:, 3 * H:])


def test_numpy_to_torch_weights_accepts_any_bias_split_and_names_a_missing_output():
    assert nb07.check_numpy_to_torch_weights(lambda Wx, Wh, b: (Wx.T, Wh.T, 0.25 * b, 0.75 * b)).passed
    r = nb07.check_numpy_to_torch_weights(lambda Wx, Wh, b: (Wx.T, Wh.T, b))
    assert not r.passed and "3 value(s); 4 were expected" in r.message


def test_numpy_to_torch_weights_solution_loads_into_nn_lstm():
    torch = pytest.importorskip("torch")
    from lstm_helpers.numpy_lstm import init_lstm_params, lstm_forward

    p = init_lstm_params(3, 4, rng=np.random.default_rng(1))
    ref = torch.nn.LSTM(3, 4, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for t, a in zip((ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0),
                        nb07.numpy_to_torch_weights(p["Wx"], p["Wh"], p["b"])):
            t.copy_(torch.from_numpy(np.ascontiguousarray(a)))
    x = np.random.default_rng(2).normal(size=(2, 5, 3))
    h, _ = lstm_forward(x, np.zeros((2, 4)), p["Wx"], p["Wh"], p["b"])
    out, _ = ref(torch.from_numpy(x))
    assert np.abs(out.detach().numpy() - h).max() < 1e-12


def test_lstm_step_backward_reference_matches_the_package_and_centred_differences():
    case = nb07._lstm_step_case(np.random.default_rng(2), 2, 3, 4)
    for mine, theirs in zip(nb07.lstm_step_backward(*case), nb07._package_step_backward(*case)):
        assert np.allclose(mine, theirs)
    assert nb07._numerical_step_error(nb07.lstm_step_backward) < 1e-6
