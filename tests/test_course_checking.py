"""The checker machinery, and every exercise of the series: its reference passes, each typical mistake is named.

The per-notebook tests (references agreeing with the package, other right answers accepted) are in
tests/test_course_nbNN.py.
"""

import importlib

import numpy as np
import pytest

from lstm_helpers.activations import sigmoid
from lstm_helpers.course import checking
from lstm_helpers.course.nb03 import check_forget_gate

MODULES = [importlib.import_module(name) for name in checking.COURSE_MODULES]
EXERCISES = sorted(checking.SOLUTIONS)  # every @solution of every course module


def _checker(name):
    module = importlib.import_module(checking.SOLUTIONS[name].__module__)
    return getattr(module, f"check_{name}")


MISTAKE_CASES = [pytest.param(name, k, m, id=f"{name}-{k}")
                 for module in MODULES for name, mistakes in getattr(module, "MISTAKES", {}).items()
                 for k, m in enumerate(mistakes)]


def _unfinished(*args):
    raise NotImplementedError


def test_every_course_module_has_exercises_and_each_exercise_a_checker_hint_and_mistakes():
    assert len(EXERCISES) >= 20
    for name in EXERCISES:
        assert callable(_checker(name)), name
        assert checking.hint(name), name
    for module in MODULES[1:]:  # notebook 00 has no exercise of its own
        assert set(module.MISTAKES) <= set(checking.SOLUTIONS), module.__name__
        assert all(len(ms) >= 4 for ms in module.MISTAKES.values()), module.__name__


@pytest.mark.parametrize("name", EXERCISES)
def test_reference_solution_passes_and_unfinished_gets_the_hint(name):
    check = _checker(name)
    r = check(checking.SOLUTIONS[name])
    assert r.passed, r.message
    r = check(_unfinished)
    assert not r.passed and r.mistake == "unfinished"
    assert checking.hint(name) in r.message


@pytest.mark.parametrize(("name", "k", "mistake"), MISTAKE_CASES)
def test_every_typical_mistake_gets_its_own_message(name, k, mistake):
    learner = mistake.example or mistake.wrong
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        r = _checker(name)(learner)
    assert not r.passed
    assert r.mistake == mistake.message, f"mistake {k} of {name} was reported as: {r.message}"
    assert r.message.endswith(mistake.message)


def test_framework_unfinished_crash_none_and_shape():
    r = check_forget_gate(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message
    r = check_forget_gate(lambda x, h, W, U, b: x @ U)
    assert not r.passed and r.mistake == "crash" and "ValueError" in r.message and "line" in r.message
    r = check_forget_gate(lambda *a: None)
    assert not r.passed and "return" in r.message
    r = check_forget_gate(lambda x, h, W, U, b: sigmoid(x @ W + h @ U + b)[:, :1])
    assert not r.passed and "shape" in r.message and r.mistake == "other"
    assert not r and repr(r) == r.message


def test_checker_hands_copies_so_in_place_changes_cannot_spoil_the_reference():
    def in_place(x, h, W, U, b):
        out = sigmoid(x @ W + h @ U + b)
        W[:] = 0.0  # a learner's in-place change
        return out

    assert check_forget_gate(in_place).passed


def test_show_solution_and_hint_find_any_notebooks_exercise():
    assert "def forget_gate" in checking.show_solution("forget_gate").source
    assert "def lr_at" in checking.show_solution("lr_at").source
    assert "sigmoid" in checking.hint("forget_gate")
    with pytest.raises(ValueError, match="name: expected one of the exercises"):
        checking.show_solution("nope")
    with pytest.raises(ValueError, match="name: expected one of the exercises"):
        checking.hint("mystery_gates_backward")


def test_each_course_module_reexports_show_solution_and_hint():
    for module in MODULES:
        assert module.show_solution is checking.show_solution and module.hint is checking.hint
