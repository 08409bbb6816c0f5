"""The checker machinery, and every exercise of the series: its reference passes, each typical mistake is named.

The per-notebook tests (references agreeing with the package, other right answers accepted) are in
tests/test_course_nbNN.py.
"""

import importlib
import inspect
import re

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
    assert checking.first_hint(name) in r.message
    assert (f"hint({name!r})" in r.message) if len(checking.HINTS[name]) > 1 else ("Hint:" in r.message)
    r = check(_stub_named_like_a_learner)
    assert "`my_exercise`" in r.message  # the learner's own function name, never the reference's


def _stub_named_like_a_learner(*args):
    raise NotImplementedError


_stub_named_like_a_learner.__name__ = "my_exercise"


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
    assert not r.passed and r.mistake == "unfinished" and "Think about:" in r.message
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
    checking._HINT_LEVEL.pop("forget_gate", None)
    second = checking.hint("forget_gate")
    assert second.startswith("Hint 2 of 2 for forget_gate") and "sigmoid" in second
    assert "show_solution('forget_gate')" in checking.hint("forget_gate")  # after the last level: the answer
    with pytest.raises(ValueError, match="name: expected one of the exercises"):
        checking.show_solution("nope")
    with pytest.raises(ValueError, match="name: expected one of the exercises"):
        checking.hint("mystery_gates_backward")


def test_each_course_module_reexports_show_solution_and_hint():
    for module in MODULES:
        assert module.show_solution is checking.show_solution and module.hint is checking.hint


def test_a_list_is_accepted_where_a_tuple_is_expected_and_in_place_changes_are_warned():
    from lstm_helpers.course import nb05

    r = nb05.check_cell_update_backward(lambda *a: list(nb05.cell_update_backward(*a)))
    assert r.passed and "\u26a0" not in r.message

    def my_update_backward(d, c, f, i, g):
        d *= f  # in place: spoils the caller's array
        return d, d / f * c, d / f * g, d / f * i

    r = nb05.check_cell_update_backward(my_update_backward)
    assert r.passed and "`my_update_backward` changed its input (argument 1) in place" in r.message


def test_behaviour_checks_report_wrong_weight_shapes_and_results_carry_the_exercise_for_grading():
    from lstm_helpers.course import nb06

    r = nb06.check_latch_weights(lambda: (np.zeros((3, 4)), np.zeros((1, 4)), np.zeros(4)))
    assert not r.passed and "Wx has shape (3, 4); expected (4, 4)" in r.message
    assert nb06.check_latch_weights(nb06.latch_weights).exercise == "latch_weights"
    assert "forget_gate" in checking.WORKED_EXAMPLES and "latch_weights" not in checking.WORKED_EXAMPLES


def test_an_exercise_with_one_hint_keeps_the_plain_hint_message():
    from lstm_helpers.course import nb08

    r = nb08.check_mean_predictor_mse(_unfinished)
    assert r.message == f"{checking.TODO} `_unfinished` is not written yet. Hint: {checking.first_hint('mean_predictor_mse')}"


def _solution_lines(fn):
    """The code lines of a reference solution's body (no def, docstring or comment-only lines), stripped."""
    import inspect

    src = inspect.getsource(fn)
    body = src.split('"""')[-1] if '"""' in src else src.split(":", 1)[1]
    lines = [ln.split("  #")[0].strip() for ln in body.splitlines()]
    return [ln for ln in lines if len(ln) >= 12 and not ln.startswith(("#", "return Wx, Wh, b", "from "))]


def test_no_committed_notebook_output_reveals_an_answer():
    """No output shows most of a reference solution's body (a lone generic line like `return o, h` is no answer)."""
    import json
    from pathlib import Path

    solutions = {name: _solution_lines(fn) for name, fn in checking.SOLUTIONS.items()}
    leaks = []
    for path in sorted(Path(__file__).resolve().parents[1].joinpath("notebooks").glob("*.ipynb")):
        for k, cell in enumerate(json.loads(path.read_text())["cells"]):
            if "".join(cell.get("source", "")).lstrip().startswith("show_source("):
                continue  # library code shown on purpose (and the find-the-bug task's mystery function)
            text = "".join(str(v) for out in cell.get("outputs", []) for v in
                           [out.get("text", "")] + list(out.get("data", {}).values()))
            for name, lines in solutions.items():
                shown = [ln for ln in lines if ln in text or ln.replace("return ", "") in text]
                if lines and len(shown) >= max(1, (len(lines) + 1) // 2):
                    leaks.append(f"{path.name} cell {k}: {name}: {shown}")
    assert not leaks, "\n".join(leaks)


def _plain(text: str) -> str:
    """Code and formulas without spaces and `np.`, so `c0 * f ** k` and `c0*f**k` compare equal."""
    return re.sub(r"\s+|np\.", "", text)


def _expressions(fn):
    """Each code line of a reference solution, and each right-hand side of an assignment (spaces, `np.` removed)."""
    found = []
    for line in _solution_lines(fn) + [ln.strip() for ln in inspect.getsource(fn).splitlines()
                                       if ln.strip().startswith("return ")]:
        line = line.split("  #")[0].removeprefix("return ")
        found.append(_plain(line))
        if "=" in line and not re.search(r"[=<>!]=", line):
            found.append(_plain(line.split("=", 1)[1]))
    # a bare tuple of names (`da_i, da_g`) is the return order, not the formula
    return [e for e in found if len(e) >= 6 and not re.fullmatch(r"[\w,()]+", e)]


# The formulas each exercise asks for, as the notebooks and messages write them (spaces and `np.` removed).
FORMULA_TELLS = {
    "memory_after": ["f**k", "f^k"],
    "forget_bias_for": ["log(keep/(1-keep))", "logit"],
    "clip_by_norm": ["max_norm/||g||", "g*(max_norm", "sqrt(sum(g**2))"],
    "carousel_gradient": ["theirproduct", "productoverT"],
    "rnn_step_backward": ["1-next_h**2", "Wh.T", "prev_h.T@da"],
    "rnn_step_jacobian": ["1-h_t^2", "1-h_t**2", "Wh^T", "(1-h_t[i]^2)Wh[j,i]"],
    "write_backward": ["i*(1-i)", "1-g**2", "dC_t/di=g"],
    "cell_update_backward": ["dnext_c*f", "dnext_c*g", "dnext_c*prev_c"],
    "cell_jacobian_h": ["s*(1-s)", "1-g**2", "H..2H"],
    "lstm_cell_step": ["o_t*tanh(C_t)", "f_t*C_{t-1}+i_t*c~_t"],
    "lstm_step_backward": ["dc*f", "1-tanh(C_t)**2", "1-g**2"],
    "cell_state_grad": ["1-tanh_c**2", "1-tanh(C_t)**2", "dnext_cmustbeadded"],
    "fixed_gates_backward": ["dnext_h*tanh_c"],
    "numpy_to_torch_weights": ["mustbeWx.T", "mustbeWh.T"],
    "mean_predictor_mse": ["1/12", "n_marked/12", "n_markedtimes", "E[S]=n_marked/2"],
    "temperature_probs": ["softmax(z/T)", "subtracteachrow", "divideit", "divideby"],
    "lr_at": ["(step+1)/warmup_steps", "0.5*(1+cos", "min(1,progress)", "min_lr_ratio*lr"],
    "counter_weights": ["abiasof", "weighton", "largepositivebias"],
    "latch_weights": ["abiasof", "largenegative", "positiveweight"],
    "running_max_weights": ["Kabout50", "Karound50", "negativeweight"],
    "minlstm_step": ["f/(f+i)", "i/(f+i)", "x+0.5"],
    "stabilised_gates": ["max(logf_t", "exp(logf_t+m_{t-1}-m_t)", "exp(i~_t-m_t)"],
}


def test_no_rejection_message_states_the_formula():
    """A first rejection names the misconception and asks a question; the answer is left to the hints.

    Checked for every exercise a learner writes (the worked examples are shown solved anyway): no mistake
    message contains a line of the reference solution, or one of the formulas the exercise asks for.
    """
    told = []
    for module in MODULES:
        for name, mistakes in getattr(module, "MISTAKES", {}).items():
            if name in checking.WORKED_EXAMPLES:
                continue
            tells = _expressions(checking.SOLUTIONS[name]) + [_plain(t) for t in FORMULA_TELLS.get(name, ())]
            for k, m in enumerate(mistakes):
                shown = [t for t in tells if t in _plain(m.message)]
                if shown:
                    told.append(f"{name} mistake {k}: {shown}: {m.message}")
                if "?" not in m.message:
                    told.append(f"{name} mistake {k} asks no question: {m.message}")
    assert not told, "\n".join(told)


def test_a_mistake_is_named_only_when_it_explains_every_case():
    """Two mistakes that agree on the first failing case are told apart by the others (n/6 and n**2/12 at n = 2)."""
    from lstm_helpers.course import nb08

    assert nb08.mean_predictor_mse(2) != 2 / 6 and 2 / 6 == 2**2 / 12  # the two agree at the first case, n = 2
    r = nb08.check_mean_predictor_mse(lambda n_marked=2: n_marked / 6)
    assert r.mistake.startswith("n_marked / 6") and "n_marked^2" not in r.message
    r = nb08.check_mean_predictor_mse(lambda n_marked=2: n_marked**2 / 12)
    assert r.mistake.startswith("n_marked^2 / 12")
    r = nb08.check_mean_predictor_mse(lambda n_marked=2: n_marked / 6 if n_marked == 2 else 0.0)
    assert r.mistake == "other"  # fits a mistake at n = 2 only: no mistake is named


def test_a_nan_in_the_output_is_named_as_nan_not_as_a_difference():
    from lstm_helpers.course import nb03

    r = nb03.check_memory_after(lambda f, k, c0: np.full_like(c0, np.nan))
    assert r.mistake == "other" and "nan or inf in" in r.message and "differs" not in r.message
