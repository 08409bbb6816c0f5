"""Notebook 11's checkers: the references pass, every typical mistake is recognised by name, crashes are explained."""

import numpy as np
import pytest

from lstm_helpers.course import nb11


def test_references_pass():
    assert nb11.check_minlstm_step(nb11.minlstm_step).passed
    assert nb11.check_stabilised_gates(nb11.stabilised_gates).passed


@pytest.mark.parametrize("mistake", nb11.MINLSTM_STEP_MISTAKES, ids=lambda m: m.message[:40])
def test_minlstm_step_mistakes_are_named(mistake):
    result = nb11.check_minlstm_step(mistake.wrong)
    assert not result.passed
    assert result.mistake == mistake.message


@pytest.mark.parametrize("mistake", nb11.STABILISED_GATES_MISTAKES, ids=lambda m: m.message[:40])
def test_stabilised_gates_mistakes_are_named(mistake):
    with np.errstate(over="ignore", invalid="ignore"):
        result = nb11.check_stabilised_gates(mistake.wrong)
    assert not result.passed
    assert result.mistake == mistake.message


def test_unfinished_and_crashing_answers():
    def todo(*args):
        raise NotImplementedError

    assert nb11.check_minlstm_step(todo).mistake == "unfinished"
    assert nb11.check_stabilised_gates(lambda a, b, c: a.undefined).mistake == "crash"
    assert nb11.check_minlstm_step(lambda *a: None).mistake == "returned None"


def test_reference_agrees_with_the_torch_layer():
    import torch

    from lstm_helpers.minlstm import minlstm_sequential

    r = np.random.default_rng(0)
    k = [r.normal(size=(2, 1, 3)) for _ in range(3)]
    h0 = np.full((2, 3), 0.5)
    want = minlstm_sequential(*(torch.from_numpy(a) for a in k), torch.from_numpy(h0))[:, 0].numpy()
    assert np.allclose(nb11.minlstm_step(h0, *(a[:, 0] for a in k)), want, atol=1e-12)


def test_the_widget_story():
    tr = nb11.slstm_and_lstm_traces(*nb11.gate_scenario(6.0, 3.0))
    assert tr["h_slstm"][19] > 0.7 and tr["h_slstm"][20] < -0.7  # one write flips the sLSTM
    assert tr["h_lstm"][20] > 0.99  # the LSTM's tanh(c) barely moves
    assert np.all(tr["i"] <= 1) and np.all(tr["f"] <= 1)
    import matplotlib

    matplotlib.use("agg")
    assert nb11.draw_gate_story(write=0.0).get_title().startswith("One write")
