"""The hand-written numpy LSTM: gradient checks, agreement with torch.nn.LSTM, gates, validation."""

import warnings

import numpy as np
import pytest
import torch

from lstm_helpers import numpy_lstm as nl
from lstm_helpers.activations import sigmoid
from lstm_helpers.gradcheck import eval_numerical_gradient_array, rel_error
from lstm_helpers.torch_lstm import load_numpy_params, to_numpy_params


def _args(rng, N, T, D, H, peephole=False, dtype=np.float64):
    a = dict(x=rng.normal(size=(N, T, D)), h0=rng.normal(size=(N, H)),
             Wx=rng.normal(scale=0.4, size=(D, 4 * H)), Wh=rng.normal(scale=0.4, size=(H, 4 * H)),
             b=rng.normal(scale=0.2, size=(4 * H,)), c0=rng.normal(size=(N, H)))
    if peephole:
        a["peep"] = rng.normal(scale=0.5, size=(3 * H,))
    return {k: v.astype(dtype) for k, v in a.items()}


def _check_all(forward_out, backward, args, order, dout, rng):
    grads = backward(dout)
    for name, g in zip(order, grads):
        def f(v, name=name):
            return forward_out({**args, name: v})
        num = eval_numerical_gradient_array(f, args[name], dout)
        assert rel_error(g, num) < 1e-7, f"d{name}: rel error {rel_error(g, num):.2e}"


@pytest.mark.parametrize("peephole", [False, True])
@pytest.mark.parametrize("N,D,H", [(1, 1, 1), (3, 4, 5), (2, 2, 6)])
def test_step_backward_numerical(rng, N, D, H, peephole):
    a = _args(rng, N, 1, D, H, peephole)
    step = dict(x=a["x"][:, 0], prev_h=a["h0"], prev_c=a["c0"], Wx=a["Wx"], Wh=a["Wh"], b=a["b"],
                peep=a.get("peep"))
    next_h, next_c, cache = nl.lstm_step_forward(**step)
    dh, dc = rng.normal(size=next_h.shape), rng.normal(size=next_c.shape)
    grads = nl.lstm_step_backward(dh, dc, cache)
    names = ["x", "prev_h", "prev_c", "Wx", "Wh", "b"] + (["peep"] if peephole else [])
    assert len(grads) == len(names)
    for name, g in zip(names, grads):
        def f(v, name=name):
            h, c, _ = nl.lstm_step_forward(**{**step, name: v})
            return np.concatenate([h, c], axis=1)
        num = eval_numerical_gradient_array(f, step[name], np.concatenate([dh, dc], axis=1))
        assert rel_error(g, num) < 1e-7, f"d{name}: {rel_error(g, num):.2e}"


@pytest.mark.parametrize("peephole", [False, True])
@pytest.mark.parametrize("N,T,D,H", [(1, 1, 2, 2), (2, 5, 3, 4), (3, 6, 4, 2), (1, 8, 1, 3)])
def test_sequence_backward_numerical(rng, N, T, D, H, peephole):
    a = _args(rng, N, T, D, H, peephole)
    h, cache = nl.lstm_forward(**a)
    dh = rng.normal(size=h.shape)
    names = ["x", "h0", "Wx", "Wh", "b"] + (["peep"] if peephole else []) + ["c0"]
    grads = nl.lstm_backward(dh, cache, return_dc0=True)
    assert len(grads) == len(names)
    for name, g in zip(names, grads):
        num = eval_numerical_gradient_array(lambda v, name=name: nl.lstm_forward(**{**a, name: v})[0],
                                            a[name], dh)
        assert rel_error(g, num) < 1e-7, f"d{name}: {rel_error(g, num):.2e}"


def test_dc_last_upstream(rng):
    a = _args(rng, 2, 4, 3, 3)
    h, cache = nl.lstm_forward(**a)
    dc_last = rng.normal(size=(2, 3))
    *_, dc0 = nl.lstm_backward(np.zeros_like(h), cache, dc_last=dc_last, return_dc0=True)
    num = eval_numerical_gradient_array(lambda v: nl.lstm_forward(**{**a, "c0": v})[1]["c"][:, -1], a["c0"], dc_last)
    assert rel_error(dc0, num) < 1e-7


def _torch_reference(a, dh):
    N, T, D = a["x"].shape
    H = a["h0"].shape[1]
    ref = torch.nn.LSTM(D, H, batch_first=True).double()
    load_numpy_params(ref, a["Wx"], a["Wh"], a["b"])
    x = torch.tensor(a["x"], requires_grad=True)
    h0 = torch.tensor(a["h0"][None], requires_grad=True)
    c0 = torch.tensor(a["c0"][None], requires_grad=True)
    out, _ = ref(x, (h0, c0))
    (out * torch.tensor(dh)).sum().backward()
    dWx = ref.weight_ih_l0.grad.numpy().T
    dWh = ref.weight_hh_l0.grad.numpy().T
    db = ref.bias_ih_l0.grad.numpy()
    np.testing.assert_allclose(ref.bias_ih_l0.grad.numpy(), ref.bias_hh_l0.grad.numpy(), rtol=0, atol=1e-13)
    return out.detach().numpy(), (x.grad.numpy(), h0.grad.numpy()[0], dWx, dWh, db, c0.grad.numpy()[0])


SHAPES = [(1, 1, 1, 1), (1, 1, 3, 2), (2, 3, 4, 5), (4, 7, 2, 3), (3, 12, 8, 4), (1, 20, 5, 5),
          (5, 2, 1, 7), (2, 9, 6, 1), (8, 4, 3, 3), (3, 15, 10, 6), (6, 6, 7, 2), (1, 30, 2, 8)]


@pytest.mark.parametrize("N,T,D,H", SHAPES)
def test_agrees_with_torch_nn_lstm(N, T, D, H):
    rng = np.random.default_rng(N * 1000 + T * 100 + D * 10 + H)
    a = _args(rng, N, T, D, H)
    dh = rng.normal(size=(N, T, H))
    h, cache = nl.lstm_forward(**a)
    ref_h, ref_grads = _torch_reference(a, dh)
    assert np.max(np.abs(h - ref_h)) < 1e-10
    grads = nl.lstm_backward(dh, cache, return_dc0=True)
    for name, g, r in zip(["x", "h0", "Wx", "Wh", "b", "c0"], grads, ref_grads):
        assert np.max(np.abs(g - r)) < 1e-8, f"d{name} differs by {np.max(np.abs(g - r)):.2e}"


def test_numpy_torch_conversion_round_trip(rng):
    ref = torch.nn.LSTM(3, 4).double()
    Wx, Wh, b = to_numpy_params(ref)
    assert Wx.shape == (3, 16) and Wh.shape == (4, 16) and b.shape == (16,)
    other = torch.nn.LSTM(3, 4).double()
    load_numpy_params(other, Wx, Wh, b)
    x = torch.tensor(rng.normal(size=(5, 2, 3)))
    torch.testing.assert_close(ref(x)[0], other(x)[0], rtol=0, atol=1e-12)


def test_sequence_equals_steps_and_gate_functions(rng):
    a = _args(rng, 2, 4, 3, 5)
    h, cache = nl.lstm_forward(**a)
    prev_h, prev_c = a["h0"], a["c0"]
    for t in range(4):
        x_t = a["x"][:, t]
        i = nl.input_gate(x_t, prev_h, a["Wx"], a["Wh"], a["b"])
        f = nl.forget_gate(x_t, prev_h, a["Wx"], a["Wh"], a["b"])
        g = nl.candidate(x_t, prev_h, a["Wx"], a["Wh"], a["b"])
        o = nl.output_gate(x_t, prev_h, a["Wx"], a["Wh"], a["b"])
        for name, v in zip("ifgo", (i, f, g, o)):
            np.testing.assert_allclose(cache[name][:, t], v, rtol=1e-12, atol=1e-14)
        c = nl.cell_update(prev_c, f, i, g)
        nh = nl.hidden_state(o, c)
        sh, sc, _ = nl.lstm_step_forward(x_t, prev_h, prev_c, a["Wx"], a["Wh"], a["b"])
        np.testing.assert_allclose(nh, sh, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(c, sc, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(h[:, t], nh, rtol=1e-12, atol=1e-14)
        prev_h, prev_c = nh, c


def test_gate_functions_accept_one_gate_weights(rng):
    a = _args(rng, 2, 1, 3, 4)
    x, h = a["x"][:, 0], a["h0"]
    Wf, Uf, bf = (nl.gate_slice(a[k], "f") for k in ("Wx", "Wh", "b"))
    np.testing.assert_array_equal(nl.forget_gate(x, h, Wf, Uf, bf), nl.forget_gate(x, h, a["Wx"], a["Wh"], a["b"]))
    with pytest.raises(ValueError, match="Wx: expected last axis H=4"):
        nl.forget_gate(x, h, a["Wx"][:, :7], a["Wh"], a["b"])


def test_float32_kept_and_close_to_float64(rng):
    a64 = _args(rng, 3, 5, 4, 6)
    a32 = {k: v.astype(np.float32) for k, v in a64.items()}
    h32, cache32 = nl.lstm_forward(**a32)
    h64, _ = nl.lstm_forward(**a64)
    assert h32.dtype == np.float32
    assert np.max(np.abs(h32 - h64)) < 1e-5
    grads = nl.lstm_backward(np.ones_like(h32), cache32)
    assert all(g.dtype == np.float32 for g in grads)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_stable_at_extremes(dtype):
    x = np.array([-1e4, -800.0, -100.0, 0.0, 100.0, 800.0, 1e4], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(x)
    assert s.dtype == dtype and np.all(np.isfinite(s))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    a = {k: v.astype(dtype) for k, v in _args(np.random.default_rng(0), 2, 3, 2, 2).items()}
    a["x"] = a["x"] * 1e4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h, cache = nl.lstm_forward(**a)
        grads = nl.lstm_backward(np.ones_like(h), cache)
    assert np.all(np.isfinite(h)) and all(np.all(np.isfinite(g)) for g in grads)


@pytest.mark.parametrize("change,match", [
    ({"x": lambda a: a["x"][0]}, r"x: expected shape \(N, T, D\) \(rank 3\), got shape \(4, 3\)"),
    ({"x": lambda a: a["x"][None]}, r"x: expected shape \(N, T, D\) \(rank 3\), got shape \(1, 2, 4, 3\)"),
    ({"Wx": lambda a: a["Wx"][:, :15]}, r"Wx: expected shape \(3, 20\), got \(3, 15\).*4H = 4\*5"),
    ({"Wx": lambda a: a["Wx"][:2]}, r"Wx: expected shape \(3, 20\), got \(2, 20\)"),
    ({"Wh": lambda a: a["Wh"][:, :5]}, r"Wh: expected shape \(5, 20\), got \(5, 5\)"),
    ({"b": lambda a: a["b"][:5]}, r"b: expected shape \(20,\), got \(5,\)"),
    ({"h0": lambda a: a["h0"][:1]}, r"h0: expected shape \(2, 5\), got \(1, 5\)"),
    ({"c0": lambda a: a["c0"][:, :2]}, r"c0: expected shape \(2, 5\), got \(2, 2\)"),
    ({"Wh": lambda a: a["Wh"].astype(np.float32)}, r"Wh: expected dtype float64 like x, got float32"),
    ({"x": lambda a: a["x"].astype(np.int64)}, r"x: expected dtype float32 or float64, got int64"),
    ({"peep": lambda a: np.zeros(5)}, r"peep: expected shape \(15,\), got \(5,\)"),
])
def test_bad_input_raises_named_error(rng, change, match):
    a = _args(rng, 2, 4, 3, 5)
    for k, f in change.items():
        a[k] = f(a)
    with pytest.raises(ValueError, match=match):
        nl.lstm_forward(**a)


def test_step_bad_input(rng):
    a = _args(rng, 2, 1, 3, 5)
    with pytest.raises(ValueError, match=r"prev_c: expected shape \(2, 5\), got \(2, 4\)"):
        nl.lstm_step_forward(a["x"][:, 0], a["h0"], a["c0"][:, :4], a["Wx"], a["Wh"], a["b"])
    h, c, cache = nl.lstm_step_forward(a["x"][:, 0], a["h0"], a["c0"], a["Wx"], a["Wh"], a["b"])
    with pytest.raises(ValueError, match=r"dnext_h: expected shape \(2, 5\), got \(5,\)"):
        nl.lstm_step_backward(h[0], c, cache)


def test_reorder_gates_round_trip_and_cs231n(rng):
    H = 3
    W = np.concatenate([np.full((2, H), k) for k in range(4)], axis=1)  # blocks i=0, f=1, g=2, o=3
    cs = nl.reorder_gates(W, "ifgo", "ifog")
    assert [cs[0, k * H] for k in range(4)] == [0, 1, 3, 2]
    np.testing.assert_array_equal(nl.reorder_gates(cs, "ifog", "ifgo"), W)
    with pytest.raises(ValueError, match="dst: expected a permutation"):
        nl.reorder_gates(W, "ifgo", "ifgx")


def test_init_forget_bias():
    p = nl.init_lstm_params(3, 4, forget_bias=1.0, peephole=True)
    assert np.all(p["b"][4:8] == 1.0) and p["peep"].shape == (12,)


def test_sigmoid_of_integers_is_a_float():
    assert abs(float(sigmoid(1)) - 0.7310585786300049) < 1e-15
    assert sigmoid(np.array([0, 2])).dtype == np.float64


def test_gate_affine_takes_one_gate_or_all_four_stacked():
    from lstm_helpers.numpy_lstm import gate_affine, gate_slice, init_lstm_params

    rng = np.random.default_rng(0)
    p = init_lstm_params(3, 4, rng=rng)
    x, h = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    stacked = gate_affine(x, h, p["Wx"], p["Wh"], p["b"], "o")
    one = gate_affine(x, h, gate_slice(p["Wx"], "o"), gate_slice(p["Wh"], "o"), gate_slice(p["b"], "o"), "o")
    assert np.array_equal(stacked, one) and stacked.shape == (2, 4)
    with pytest.raises(ValueError, match="Wx: expected last axis H=4"):
        gate_affine(x, h, p["Wx"][:, :5], p["Wh"], p["b"], "o")


def test_gates_forward_and_backward_are_the_steps_own():
    from lstm_helpers.numpy_lstm import gates_backward, gates_forward, lstm_step_backward, lstm_step_forward

    rng = np.random.default_rng(1)
    N, D, H = 2, 3, 4
    x, h, c = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    Wx, Wh, b = rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)), rng.normal(size=(4 * H,))
    next_h, next_c, cache = lstm_step_forward(x, h, c, Wx, Wh, b)
    h2, c2, parts = gates_forward(x @ Wx + h @ Wh + b, c, None, H)
    assert np.array_equal(h2, next_h) and np.array_equal(c2, next_c) and set(parts) == {"i", "f", "g", "o", "tanh_c"}
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    da, dprev_c, dpeep = gates_backward(dh, dc, *(parts[k] for k in ("i", "f", "g", "o", "tanh_c")), c, c2, None)
    grads = lstm_step_backward(dh, dc, cache)
    assert dpeep is None and np.allclose(dprev_c, grads[2]) and np.allclose(da.sum(axis=0), grads[5])


def test_forget_bias_default_is_the_one_constant():
    from lstm_helpers.numpy_lstm import FORGET_BIAS, gate_slice, init_lstm_params

    assert FORGET_BIAS == 1.0
    assert np.all(gate_slice(init_lstm_params(2, 3)["b"], "f") == FORGET_BIAS)
