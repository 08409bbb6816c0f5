"""The stacked training loop for synthetic tasks: equivalence to single networks, selection, intervals, bad input."""

import math

import numpy as np
import pytest
import torch

from lstm_helpers import seqtrain as st
from lstm_helpers.data import adding_problem_1997, make_windows, sine_mixture
from lstm_helpers.models import SequenceRegressor


def tiny(setting="lstm_fb1", task="adding", length=6, **kw):
    args = dict(seeds=[0, 1], lrs=[1e-2], steps=4, hidden=3, batch_size=8, eval_every=2, log_every=2, n_val=16,
                n_test=16)
    args.update(kw)
    return st.train_stacked(setting, task, length, **args)


def test_stacked_model_equals_each_network_alone():
    for cell in st.CELLS:
        both = st.StackedRecurrent(cell, 4, 2, 1, [3, 7])
        alone = st.StackedRecurrent(cell, 4, 2, 1, [7])
        x = torch.randn(1, 5, 9, 2)
        torch.testing.assert_close(both(x.expand(2, -1, -1, -1))[1], alone(x)[0])


def test_lengths_read_each_sequence_at_its_own_end():
    model = st.StackedRecurrent("gru", 3, 2, 1, [0])
    x = torch.randn(1, 2, 8, 2)
    lengths = torch.tensor([[5, 8]])
    out = model(x, lengths)
    torch.testing.assert_close(out[0, 0], model(x[:, :1, :5])[0, 0])
    torch.testing.assert_close(out[0, 1], model(x[:, 1:])[0, 0])


def test_inits_and_forget_bias():
    H = 5
    orth = st.StackedRecurrent("rnn", H, 2, 1, [0], init="orthogonal")
    Wh = orth.Wh[0].detach()
    torch.testing.assert_close(Wh @ Wh.T, torch.eye(H), atol=1e-5, rtol=0)
    irnn = st.StackedRecurrent("rnn", H, 2, 1, [0], init="identity")
    assert torch.equal(irnn.Wh[0].detach(), torch.eye(H)) and not irnn.b.detach().any()
    fb0 = st.StackedRecurrent("lstm", H, 2, 1, [0]).b.detach()
    fb1 = st.StackedRecurrent("lstm", H, 2, 1, [0], forget_bias=1.0).b.detach()
    torch.testing.assert_close(fb1[..., H:2 * H] - fb0[..., H:2 * H], torch.ones(1, 1, H))
    assert torch.equal(fb1[..., :H], fb0[..., :H])


def test_parameter_count_and_matching():
    for cell in st.CELLS:
        model = st.StackedRecurrent(cell, 7, 2, 1, [0, 1])
        assert model.n_params_each() == st.count_params(cell, 7, 2, 1)
    budget = st.count_params("lstm", 16, 2, 1)
    for cell in ("rnn", "gru"):
        H = st.matched_hidden(cell, budget, 2, 1)
        gap = abs(st.count_params(cell, H, 2, 1) - budget)
        assert gap / budget < 0.06
        assert all(abs(st.count_params(cell, h, 2, 1) - budget) >= gap for h in (H - 1, H + 1))


def test_runs_have_team_history_and_test_is_scored_once():
    runs = tiny()
    assert len(runs) == 2
    for r in runs:
        h = r["history"]
        assert h["step"] == [2, 4] and h["eval_step"] == [2, 4] and len(h["eval_loss"]) == 2
        assert set(h) >= {"step", "train_loss", "eval_step", "eval_loss"}
        assert math.isfinite(r["test_loss"]) and r["steps"] == 4


def test_same_seed_same_result_and_global_rng_untouched():
    np.random.seed(123)
    torch.manual_seed(123)
    before_np, before_torch = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    a = tiny(setting="gru")
    assert np.array_equal(np.random.get_state()[1], before_np)
    assert torch.equal(torch.get_rng_state(), before_torch)
    b = tiny(setting="gru")
    assert [r["test_loss"] for r in a] == [r["test_loss"] for r in b]


def test_train_regressor_leaves_global_rng_untouched_and_learns():
    x, y = make_windows(sine_mixture(8, 80, seed=0), input_len=24, horizon=1)
    torch.manual_seed(0)
    model = SequenceRegressor(hidden_size=16)
    np.random.seed(5)
    torch.manual_seed(5)
    before_np, before_torch = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    hist = st.train_regressor(model, x, y, x_val=x[:64], y_val=y[:64], steps=60, lr=2e-2)
    assert np.array_equal(np.random.get_state()[1], before_np)
    assert torch.equal(torch.get_rng_state(), before_torch)
    assert len(hist["train_loss"]) == 60 and hist["eval_step"] == [50, 60] and len(hist["eval_loss"]) == 2
    assert np.mean(hist["train_loss"][-10:]) < 0.5 * np.mean(hist["train_loss"][:5])


def test_a_network_trains_the_same_alone_or_stacked():
    # its gradient clipping and its Adam state are its own: a wild neighbour (lr 1) changes nothing
    alone = tiny(setting="rnn", seeds=[0], lrs=[1e-2], steps=5)[0]
    stacked = tiny(setting="rnn", seeds=[0], lrs=[1e-2, 1.0], steps=5)[0]
    assert stacked["lr"] == 1e-2
    np.testing.assert_allclose(stacked["history"]["train_loss"], alone["history"]["train_loss"], rtol=1e-5)
    np.testing.assert_allclose(stacked["test_loss"], alone["test_loss"], rtol=1e-5)


def test_select_lr_reads_validation_only():
    runs = [{"lr": 1e-3, "val_loss": 0.1, "test_loss": 9.0}, {"lr": 1e-3, "val_loss": 0.2, "test_loss": 9.0},
            {"lr": 1e-2, "val_loss": 0.5, "test_loss": 0.0}, {"lr": 1e-2, "val_loss": 0.4, "test_loss": 0.0}]
    assert st.select_lr(runs) == 1e-3


def test_wilson_interval():
    lo, hi = st.wilson_interval(5, 5)
    assert hi == 1.0 and 0.56 < lo < 0.57  # 5/5: 0.566 to 1
    lo, hi = st.wilson_interval(0, 5)
    assert lo == 0.0 and 0.43 < hi < 0.44
    with pytest.raises(ValueError, match="k, n"):
        st.wilson_interval(6, 5)


def test_1997_adding_problem_follows_the_paper():
    x, y, lengths = adding_problem_1997(4000, 100, seed=0)
    assert x.shape == (4000, 110, 2) and lengths.min() >= 100 and lengths.max() <= 110
    marks = x[:, :, 1]
    assert ((marks == 1).sum(1) == 2).all()
    first = marks[:, :10].argmax(1)
    assert (marks[np.arange(4000), first] == 1).all()
    assert (np.flatnonzero(marks.max(0) == 1).max()) <= 100 // 2 - 2  # both marks among the first T/2 - 1
    assert (y >= 0).all() and (y <= 1).all()
    ends = marks[np.arange(4000), lengths - 1]
    padding = np.arange(110)[None, :] >= lengths[:, None]  # (n, 110): steps after each sequence's end
    assert (ends == -1).all() and (x[padding] == 0).all()


def test_1997_task_trains_and_reports_the_criterion():
    runs = tiny(task="adding1997", length=24, steps=3, batch_size=1000)  # the rule is checked from update 2 on
    assert all(r["first_solved_step"] is None and not r["solved"] for r in runs)  # 3 updates cannot pass it
    assert all(0 <= r["test_acc"] <= 1 for r in runs)


@pytest.mark.parametrize("changes,match", [
    (dict(setting="transformer"), "setting: expected one of"),
    (dict(task="copy"), "task: expected one of"),
    (dict(steps=0), "steps: expected an int >= 1"),
    (dict(hidden=2.5), "hidden: expected an int >= 1"),
    (dict(lrs=[]), "seeds, lrs"),
    (dict(lrs=[-1.0]), "seeds, lrs"),
])
def test_bad_input_fails_before_any_work(changes, match):
    with pytest.raises(ValueError, match=match):
        tiny(**changes)


def test_bad_model_arguments():
    with pytest.raises(ValueError, match="cell: expected one of"):
        st.StackedRecurrent("transformer", 3, 2, 1, [0])
    with pytest.raises(ValueError, match="init"):
        st.StackedRecurrent("lstm", 3, 2, 1, [0], init="identity")
    with pytest.raises(ValueError, match="variant"):
        st.StackedRecurrent("gru", 3, 2, 1, [0], variant="coupled_gates")
    with pytest.raises(ValueError, match="x, y: expected shapes"):
        st.train_regressor(SequenceRegressor(hidden_size=4), np.zeros((5, 3)), np.zeros((5, 1)))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_cells_match_pytorch_layers(cell):
    # the same weights in nn.RNN / nn.LSTM / nn.GRU give the same last hidden state
    H, D = 4, 3
    model = st.StackedRecurrent(cell, H, D, 1, [0])
    layer = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](D, H, batch_first=True)
    with torch.no_grad():
        layer.weight_ih_l0.copy_(model.Wx[0].T)
        layer.weight_hh_l0.copy_(model.Wh[0].T)
        layer.bias_ih_l0.copy_(model.b[0, 0])
        layer.bias_hh_l0.zero_()
        if cell == "gru":
            layer.bias_hh_l0[2 * H:] = model.bhn[0, 0]
    x = torch.randn(5, 7, D)
    out, _ = layer(x)
    expected = out[:, -1] @ model.Wy[0] + model.by[0]
    torch.testing.assert_close(model(x.unsqueeze(0))[0], expected, rtol=1e-5, atol=1e-6)


def test_fused_lstm_path_equals_the_step_loop():
    """The plain LSTM runs through torch.lstm; it must compute what the Python loop (the GRU/RNN path) would."""
    model = st.StackedRecurrent("lstm", 5, 2, 1, [0, 1, 2], forget_bias=1.0)
    x = torch.randn(3, 4, 7, 2, generator=torch.Generator().manual_seed(0))
    lengths = torch.tensor([[7, 3, 5, 6]] * 3)

    def loop(x, lengths=None):
        M, N, T, D = x.shape
        xw = (torch.bmm(x.reshape(M, N * T, D), model.Wx) + model.b).reshape(M, N, T, -1).unbind(2)
        h = c = x.new_zeros(M, N, 5)
        for t in range(T):
            i, f, g, o = (xw[t] + torch.bmm(h, model.Wh)).chunk(4, -1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            if lengths is not None:
                last = h if t == 0 else torch.where((lengths == t + 1).unsqueeze(-1), h, last)
        return torch.bmm(h if lengths is None else last, model.Wy) + model.by

    assert torch.allclose(model(x), loop(x), atol=1e-6)
    assert torch.allclose(model(x, lengths), loop(x, lengths), atol=1e-6)
    assert torch.equal(model(x[[0, 2]], None, [0, 2]), model(x)[[0, 2]])  # a subset runs those networks alone


def test_retire_stops_each_run_on_its_own_and_keeps_its_weights():
    runs = st.train_stacked("lstm_fb3", "recall", 4, seeds=[0, 1], lrs=[3e-2, 1e-5], steps=300, hidden=8,
                            batch_size=32, eval_every=20, n_val=200, n_test=200, retire=True)
    fast = [r for r in runs if r["lr"] == 3e-2]
    slow = [r for r in runs if r["lr"] == 1e-5]
    assert all(r["steps"] < 300 and r["solved"] and r["val_acc"] >= 0.99 for r in fast)
    assert all(r["steps"] == 300 and not r["solved"] for r in slow)  # still learning: the whole budget
    assert all(r["history"]["eval_step"][-1] == r["steps"] for r in runs)  # each curve ends where its run stopped


def test_variable_lag_recall_pads_after_each_end():
    from lstm_helpers.data import variable_lag_recall

    x, y, lengths = variable_lag_recall(50, 12, 6, seed=3)
    assert x.shape == (50, 13, 5) and y.shape == (50,) and lengths.min() >= 7 and lengths.max() <= 13
    assert len(set(lengths.tolist())) > 1
    for row, L, target in zip(x, lengths, y):
        assert row[0].argmax() == target and row[:L].sum() == L and row[L:].sum() == 0
    with pytest.raises(ValueError, match="min_lag: expected at most max_lag"):
        variable_lag_recall(5, 3, 4)


def test_1997_rule_is_met_online_when_the_net_is_right():
    """A stream of correct answers meets the 1997 rule after 2,000 sequences (batch 1), and the run stops there."""
    runs = st.train_stacked("lstm_fb1", "adding1997", 30, seeds=[0], lrs=[1e-3], steps=50, hidden=2, batch_size=1,
                            eval_every=25, n_val=10, n_test=10, retire=True)
    assert runs[0]["first_solved_step"] is None and runs[0]["steps"] == 50  # 50 sequences cannot meet it
