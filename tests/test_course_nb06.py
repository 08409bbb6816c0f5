"""Notebook 06's exercises: the package's own step passes the checker; the hint names the gate functions."""

from lstm_helpers.course import nb06


def test_lstm_cell_step_checker_accepts_the_packages_step():
    from lstm_helpers.numpy_lstm import lstm_step_forward

    assert nb06.check_lstm_cell_step(lambda *a: lstm_step_forward(*a)[:2]).passed


def test_hints_name_what_to_call():
    assert "np.tanh(next_c)" in nb06.hint("output_gate_and_hidden")
    assert "cell_update" in nb06.hint("lstm_cell_step")


def test_lit_parts_follows_the_gates():
    assert nb06.lit_parts(0.9, 0.9, 0.9) == ["state", "input", "update", "output"]
    assert nb06.lit_parts(0.1, 0.1, 0.1) == []
