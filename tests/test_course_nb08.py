"""Notebook 08's exercises: the references agree with the data and with PyTorch's own layers."""

import numpy as np

from lstm_helpers.course import nb08


def test_mean_predictor_mse_is_what_the_data_give():
    from lstm_helpers.data import adding_problem

    _, y = adding_problem(200_000, 20, seed=0)
    assert abs(np.mean((y - 1.0) ** 2) - nb08.mean_predictor_mse(2)) < 2e-3


def test_count_parameters_reference_agrees_with_pytorch():
    import torch

    layers = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
    for kind, layer in layers.items():
        for H, D in ((32, 2), (5, 7), (1, 1)):
            assert nb08.count_parameters(kind, H, D) == sum(p.numel() for p in layer(D, H).parameters())


def _fake_results():
    def run(setting, length, seed, solved, chosen=True):
        return {"setting": setting, "length": length, "seed": seed, "lr": 0.01, "chosen": chosen, "solved": solved,
                "n_params": 10, "hidden": 2, "test_loss": 0.1, "test_acc": 0.5, "first_solved_step": 5 if solved else None,
                "history": {"step": [5, 10], "train_loss": [1.0, 0.5], "eval_step": [5, 10], "eval_loss": [0.2, 0.03]}}
    runs = [run(s, L, k, k < 2) for s in ("rnn", "gru") for L in (5, 10) for k in range(3)]
    runs.append(run("rnn", 5, 0, False, chosen=False))
    return {"settings": {"settings": ["rnn", "gru"], "lengths": [5, 10]}, "runs": runs}


def test_learning_curves_draw_one_line_per_chosen_run():
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    res = _fake_results()
    ax = nb08.plot_learning_curves(res, 5)
    assert len(ax.lines) == 6  # 2 settings x 3 seeds; the run not chosen is left out
    ax = nb08.plot_learning_curves(res, 5, chosen_only=False, ax=plt.subplots()[1])
    assert len(ax.lines) == 7
    plt.close("all")


def test_solved_bars_follow_the_summary_rows():
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    from lstm_helpers import seqtrain as st

    rows = []
    for s in ("rnn", "gru"):
        for L, k in ((5, 2), (10, 3)):
            lo, hi = st.wilson_interval(k, 3)
            rows.append({"setting": s, "length": L, "n_solved": k, "n_seeds": 3, "ci_low": lo, "ci_high": hi})
    ax = nb08.plot_solved(rows)
    heights = sorted(round(p.get_height(), 3) for p in ax.patches)
    assert heights == [0.667, 0.667, 1.0, 1.0]
    plt.close("all")


def test_n_over_6_is_not_diagnosed_as_n_squared_over_12():
    """Issue 21: n/6 and n**2/12 agree at n = 2, the first case; the checker now looks at every n."""
    r = nb08.check_mean_predictor_mse(lambda n_marked=2: n_marked / 6)
    assert not r.passed and r.mistake.startswith("n_marked / 6") and "copies" not in r.message
    r = nb08.check_mean_predictor_mse(lambda n_marked=2: n_marked**2 / 12)
    assert not r.passed and "copies of ONE number" in r.message
