"""Notebook 06's exercises: the package's own step passes the checker; the hint names the gate functions."""

from lstm_helpers.course import nb06


def test_lstm_cell_step_checker_accepts_the_packages_step():
    from lstm_helpers.numpy_lstm import lstm_step_forward

    assert nb06.check_lstm_cell_step(lambda *a: lstm_step_forward(*a)[:2]).passed


def test_hints_name_what_to_call():
    assert "np.tanh(next_c)" in nb06.hint("output_gate_and_hidden", level=2)  # the second level names the formula
    levels = nb06.HINTS["lstm_cell_step"]  # a ladder: only the last level writes the calls out
    assert len(levels) >= 3 and "next_c = cell_update(prev_c, f, i, g)" in levels[-1]
    assert not any("cell_update(" in lv or "hidden_state(" in lv for lv in levels[:-1])


def test_lit_parts_follows_the_gates():
    assert nb06.lit_parts(0.9, 0.9, 0.9) == ["state", "input", "update", "output"]
    assert nb06.lit_parts(0.1, 0.1, 0.1) == []


def test_latch_checker_accepts_another_design_and_runs_on_sequences_never_shown():
    import numpy as np

    def my_latch():
        Wx, Wh, b = nb06.latch_weights()
        Wx, b = Wx * 1.3, b * 1.3  # sharper gates, a slightly larger candidate weight
        return Wx, Wh, b

    r = nb06.check_latch_weights(my_latch)
    assert r.passed and "`my_latch`" in r.message
    x, tokens = nb06.latch_sequences()
    assert x.shape == (24, 30, 4) and set(np.unique(tokens)) == {0, 1, 2, 3}
