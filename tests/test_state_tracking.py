"""The parity task and its three models: data, sizes, shapes, a short training run, the accuracy helpers."""

import numpy as np
import pytest
import torch

from lstm_helpers import state_tracking as st


def test_parity_data_is_the_running_parity():
    x, y = st.parity_data(50, 30, seed=3)
    assert x.shape == (50, 30, 2) and y.shape == (50, 30)
    bits = x.argmax(-1).numpy()
    assert np.array_equal(x.sum(-1).numpy(), np.ones((50, 30)))  # one-hot
    assert np.array_equal(y.numpy(), np.cumsum(bits, axis=1) % 2)
    x2, _ = st.parity_data(50, 30, seed=3)
    assert torch.equal(x, x2)
    assert 0.4 < bits.mean() < 0.6


def test_matched_sizes_are_within_three_percent():
    budget = st.count_params(st.ParityModel("lstm", 8))
    for kind in st.KINDS:
        n = st.count_params(st.ParityModel(kind, st.matched_hidden_size(kind, budget)))
        assert abs(n - budget) / budget < 0.03, (kind, n, budget)


@pytest.mark.parametrize("kind", st.KINDS)
def test_model_shapes(kind):
    model = st.ParityModel(kind, 5)
    x, _ = st.parity_data(3, 7, seed=0)
    assert model(x).shape == (3, 7, 2)


def test_diagonal_recurrence_is_linear_with_fixed_decay():
    torch.manual_seed(0)
    layer = st.DiagonalLinearRNN(2, 4)
    x = torch.randn(2, 6, 2)
    h = layer(x)
    lam = torch.sigmoid(layer.nu)
    b = layer.linear(x)
    assert torch.allclose(h[:, 3], lam * h[:, 2] + b[:, 3], atol=1e-6)
    assert bool(((lam > 0) & (lam < 1)).all())


def test_short_lstm_training_learns_and_reports_in_the_house_format():
    run = st.train_parity("lstm", hidden_size=8, steps=60, lr=3e-2, seed=0, eval_every=20, n_val=200)
    h = run["history"]
    assert set(("step", "train_loss", "eval_step", "eval_loss", "eval_acc")) <= set(h)
    assert len(h["train_loss"]) == 60 and h["eval_step"] == [20, 40, 60]
    assert np.mean(h["train_loss"][-10:]) < np.mean(h["train_loss"][:10])
    acc = st.accuracy_by_length(run["model"], [4, 8], n=100)
    assert set(acc) == {4, 8} and all(0.0 <= a <= 1.0 for a in acc.values())
    pos = st.accuracy_by_position(run["model"], 10, n=100)
    assert len(pos) == 10 and pos[0] > 0.9  # the first step's parity is the bit itself


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        st.ParityModel("gru", 4)
    with pytest.raises(ValueError, match="length"):
        st.parity_data(3, 0, seed=0)
    with pytest.raises(ValueError, match="kind"):
        st.train_parity("rnn", hidden_size=3, steps=1)
