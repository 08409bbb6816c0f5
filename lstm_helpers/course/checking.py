"""The machinery every exercise checker shares: results, typical mistakes, the check loop, solutions and hints.

Each notebook's own exercises live in `course/nbNN.py`; this module knows nothing about any one of them.

How an exercise is written (in its notebook's module, e.g. `course/nb03.py`):

1. the reference solution, a function decorated with ``@solution`` (``show_solution("name")`` shows it);
2. its hint in the module's ``HINTS`` dict and its typical mistakes in the module's ``MISTAKES`` dict,
   each a ``Mistake(message, wrong)`` where ``wrong`` computes what the mistaken code returns;
3. ``check_<name>(fn)``, which returns ``run_check(...)`` on a few input cases (or, for a
   weight-design exercise, ``run_behaviour_check(...)`` on held-out sequences).

A hint is a list of levels: the first says what to think about (shown when an exercise is
unfinished), each ``hint("name")`` call gives the next, and ``show_solution("name")`` the answer.
A checker never raises: an unfinished exercise gets the first hint, a crash a one-line explanation;
every message names the learner's own function (``fn.__name__``).
"""

from __future__ import annotations

import importlib
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

PASS, FAIL, TODO = "\u2705", "\u274c", "\u270f\ufe0f"

COURSE_MODULES = tuple(f"lstm_helpers.course.nb{k:02d}" for k in range(12))

SOLUTIONS: dict[str, Callable] = {}  # exercise name -> reference solution, filled by @solution
HINTS: dict[str, list] = {}  # exercise name -> hint levels, filled by register_hints
WORKED_EXAMPLES: set = set()  # exercise names a notebook shows solved (the one-line gate formulas): not graded
_HINT_LEVEL: dict[str, int] = {}  # exercise name -> how many levels hint() has given so far


@dataclass
class CheckResult:
    """What a checker found. Shown in a notebook as its message; `passed` is for code and tests."""

    passed: bool
    message: str
    mistake: str | None = None
    exercise: str | None = None

    def __repr__(self):
        return self.message

    def __bool__(self):
        return self.passed


@dataclass
class Mistake:
    """A typical error: ``wrong(*args)`` computes what the mistaken code returns; ``message`` explains it.

    ``example`` (optional) is a learner's function that makes the mistake, for the tests; when it is
    None, ``wrong`` itself is one (it takes the learner's arguments).
    """

    message: str
    wrong: Callable
    example: Callable | None = None
    symptom: Callable | None = None  # behaviour checks: symptom(record) is True when the record shows it


@dataclass
class Case:
    """One input to try: positional ``args`` for the learner's function."""

    args: tuple
    kwargs: dict = field(default_factory=dict)


def make_cases(shapes, seed: int, make: Callable) -> list[Case]:
    """One ``Case(make(rng, *shape))`` per entry of ``shapes``, all drawn from one generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    return [Case(make(rng, *s)) for s in shapes]


def gate_variant(squash=None, *, bias=True, prev_h=True, sign=1.0) -> Callable:
    """What a one-gate exercise ``gate(x, prev_h, W, U, b)`` returns with a typical slip, for `Mistake` data.

    ``squash`` is the function applied to the pre-activation (None: none applied), ``bias`` and
    ``prev_h`` say whether those terms are in it, ``sign=-1`` flips it. Notebooks 03 and 04 share it.
    """
    def wrong(x, h, W, U, b):
        a = x @ W + (h @ U if prev_h else 0.0) + (b if bias else 0.0)
        return (squash or (lambda v: v))(sign * a)
    return wrong


def solution(fn: Callable) -> Callable:
    """Decorator: register ``fn`` as the reference solution of the exercise of the same name."""
    SOLUTIONS[fn.__name__] = fn
    return fn


def worked_example(fn: Callable) -> Callable:
    """Decorator (under ``@solution``): the notebook shows this one solved, so grading leaves it out."""
    WORKED_EXAMPLES.add(fn.__name__)
    return fn


def register_hints(hints: dict) -> dict:
    """Register a module's ``HINTS`` (exercise name -> a hint or a list of levels) for ``hint(name)``; returns it.

    The first level says what to think about, never what to write; later levels come closer.
    """
    for name, levels in hints.items():
        HINTS[name] = [levels] if isinstance(levels, str) else list(levels)
    return hints


def first_hint(name: str) -> str:
    """The first hint level of exercise ``name``: what an unfinished exercise's message says to think about."""
    return _lookup(HINTS, name)[0]


def _load_all():
    for name in COURSE_MODULES:
        importlib.import_module(name)


def _lookup(table: dict, name: str):
    if not isinstance(name, str) or name not in table:
        _load_all()  # the exercise may belong to a notebook whose module is not imported yet
    if not isinstance(name, str) or name not in table:
        raise ValueError(f"name: expected one of the exercises ({', '.join(sorted(table))}), got {name!r}")
    return table[name]


def show_solution(name: str):
    """Display the reference solution of exercise ``name`` (its source, highlighted)."""
    from ..utils import show_source

    return show_source(_lookup(SOLUTIONS, name), start="def ")  # from the def line: no decorator


class Hint(str):
    """A hint shown as plain text in a notebook (a str, so code can compare it)."""

    def __repr__(self):
        return str(self)


def hint(name: str, level: int | None = None) -> str:
    """The next hint level of exercise ``name`` (the first was in the unfinished message); then the way to the answer.

    ``level`` (1 = the first) asks for one level without moving on.
    """
    levels = _lookup(HINTS, name)
    if level is not None:
        if not isinstance(level, int) or not 1 <= level <= len(levels):
            raise ValueError(f"level: expected an int from 1 to {len(levels)}, got {level!r}")
        k = level - 1
    else:
        k = _HINT_LEVEL.get(name, 0) + 1
        _HINT_LEVEL[name] = k
    if k < len(levels):
        return Hint(f"Hint {k + 1} of {len(levels)} for {name}: {levels[k]}")
    return Hint(f"No more hints for {name}: show_solution({name!r}) shows the answer.")


def as_tuple(out) -> tuple:
    """A learner's result as a tuple: a tuple stays, anything else becomes a 1-tuple."""
    return out if isinstance(out, tuple) else (out,)


def learner_label(fn, name: str) -> str:
    """How messages name the learner's function: its own ``__name__`` (the exercise name for a lambda)."""
    inner = dict(zip(getattr(getattr(fn, "__code__", None), "co_freevars", ()), fn.__closure__ or ())) \
        if callable(fn) and getattr(fn, "__closure__", None) else {}
    if "fn" in inner and callable(inner["fn"].cell_contents):  # a checker's wrapper around the learner's fn
        return learner_label(inner["fn"].cell_contents, name)
    own = getattr(fn, "__name__", None)
    return f"`{own}`" if isinstance(own, str) and own.isidentifier() else f"`{name}`"


def like_reference(got, want):
    """Any sequence where the reference returns a tuple (a list of arrays is as good as a tuple)."""
    if isinstance(want, tuple) and isinstance(got, list):
        return tuple(got)
    return got


def _copies(args):
    return [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]


def mutated(before, after, label) -> str:
    """A warning when the learner's function changed one of its array inputs in place ('' when none)."""
    changed = [k for k, (a, b) in enumerate(zip(before, after))
               if isinstance(a, np.ndarray) and (a.shape != b.shape or not np.array_equal(a, b, equal_nan=True))]
    if not changed:
        return ""
    which = ", ".join(f"argument {k + 1}" for k in changed)
    return (f" \u26a0\ufe0f {label} changed its input ({which}) in place: the caller's arrays are spoiled. "
            f"Compute into new arrays (`a = a * f`, not `a *= f`).")


def outputs_close(a, b, rtol: float, atol: float) -> bool:
    """True when the two results have as many values, each an array of the same shape and close."""
    a, b = as_tuple(a), as_tuple(b)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        try:
            x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        if x.shape != y.shape or not np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True):
            return False
    return True


def describe_difference(got, want) -> str:
    """One phrase saying how ``got`` differs from ``want``: count, type, shape or size of the difference."""
    got, want = as_tuple(got), as_tuple(want)
    if len(got) != len(want):
        return f"it returned {len(got)} value(s); {len(want)} were expected"
    for k, (x, y) in enumerate(zip(got, want)):
        which = f"output {k}" if len(want) > 1 else "the output"
        try:
            x = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):
            return f"{which} is a {type(x).__name__}, not an array of numbers"
        y = np.asarray(y, dtype=np.float64)
        if x.shape != y.shape:
            return f"{which} has shape {x.shape}; expected {y.shape}"
        bad = ~np.isfinite(x) & np.isfinite(y)
        if bad.any():  # a difference with nan in it means nothing: say where the nan are instead
            return f"{which} has nan or inf in {int(bad.sum())} of {x.size} entries, where the reference is finite"
        if not np.allclose(x, y, rtol=1e-6, atol=1e-8):
            return f"{which} differs from the reference by up to {np.max(np.abs(x - y)):.3g}"
    return "the outputs differ from the reference"


def _levels(name) -> int:
    return len(HINTS.get(name, ())) if name else 0


def unfinished(label: str, hint_text: str, name: str | None = None) -> CheckResult:
    """The result for an exercise that still raises NotImplementedError: what to think about, and where more is.

    An exercise with a single hint (not yet written in levels) keeps the plain "Hint: ..." message.
    """
    if _levels(name) > 1:
        text = f"{TODO} {label} is not written yet. Think about: {hint_text} More: hint({name!r})."
    else:
        text = f"{TODO} {label} is not written yet. Hint: {hint_text}".rstrip()
    return CheckResult(False, text, "unfinished", name)


def crashed(label: str, exc: Exception, name: str | None = None) -> CheckResult:
    """A learner's crash as one readable line (exception, message and the line), not a traceback."""
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return CheckResult(False, f"{FAIL} {label} raised {type(exc).__name__}: {exc} "
                              f"(line {frame.lineno}: {frame.line})", "crash", name)


def _think(name: str, hint_text: str) -> str:
    if name in HINTS:
        return HINTS[name][0]
    return hint_text


_NO_OUTPUT = object()  # the learner's function raised on a case: that case says nothing about a mistake


def _quiet_call(fn, case: Case):
    """The learner's output on ``case`` (given copies of its arrays), or _NO_OUTPUT when it raises."""
    try:
        with np.errstate(all="ignore"):
            return fn(*_copies(case.args), **case.kwargs)
    except Exception:  # noqa: BLE001 (the first failing case already reported how it fails)
        return _NO_OUTPUT


def _matches(m: Mistake, got, case: Case, rtol, atol, missing: bool = False) -> bool:
    """Whether ``got`` is what mistake ``m`` gives on ``case``; ``missing`` is the answer when nothing can be compared
    (the learner's function raised, or the mistake model does not apply to this case)."""
    if got is _NO_OUTPUT:
        return missing
    try:
        with np.errstate(all="ignore"):
            wrong = m.wrong(*case.args, **case.kwargs)
    except Exception:  # a mistake model that does not apply to this case
        return missing
    return outputs_close(like_reference(got, wrong), wrong, rtol, atol)


def run_check(name: str, fn, reference, cases, mistakes=(), *, hint: str = "", rtol=1e-6, atol=1e-8,
              label: str | None = None) -> CheckResult:
    """Run ``fn`` and ``reference`` on every case; report success, a recognised mistake, or the difference.

    A mistake is named only when it explains the learner's output on every case, not just on the first
    one that fails (two mistakes can agree on one case: n/6 and n**2/12 both give 1/3 at n = 2).

    Put the most informative case first (distinct N, D, H), so a shape error shows up at once.
    The learner's function gets copies of array inputs, so an in-place change cannot spoil the
    reference; the copies are compared afterwards, and a change is reported as a warning.
    A list is accepted where the reference returns a tuple. ``label`` names the learner's
    function in messages (default: ``fn.__name__``).
    """
    label = label or learner_label(fn, name)
    think = _think(name, hint)
    warning = ""
    for case in cases:
        want = reference(*case.args, **case.kwargs)
        given = _copies(case.args)
        try:
            got = fn(*given, **case.kwargs)
        except NotImplementedError:
            return unfinished(label, think, name)
        except Exception as exc:  # a learner's crash becomes one readable line, not a traceback
            return crashed(label, exc, name)
        warning = warning or mutated(case.args, given, label)
        if got is None:
            return CheckResult(False, f"{FAIL} {label} returned None: did you forget `return`?{warning}",
                               "returned None", name)
        got = like_reference(got, want)
        if outputs_close(got, want, rtol, atol):
            continue
        for m in mistakes:
            if _matches(m, got, case, rtol, atol) and all(
                    _matches(m, _quiet_call(fn, other), other, rtol, atol, missing=True) for other in cases):
                return CheckResult(False, f"{FAIL} {label}: {m.message}{warning}", m.message, name)
        more = ("" if not think else f" Think about: {think} More: hint({name!r})." if _levels(name) > 1
                else f" Hint: {think}")
        return CheckResult(False, f"{FAIL} {label}: {describe_difference(got, want)}.{more}{warning}", "other", name)
    return CheckResult(True, f"{PASS} {label} is correct on all {len(cases)} test cases.{warning}", None, name)


def run_behaviour_check(name: str, fn, simulate, ideal, mistakes=(), *, hint: str = "", tol: float = 0.1,
                        what: str = "the output") -> CheckResult:
    """Check a weight-design exercise by behaviour: run the learner's weights on held-out sequences.

    ``fn()`` returns the weights; ``simulate(weights)`` runs them and returns a record dict with at
    least ``out`` (the observed array); ``ideal(record)`` is the array ``out`` should be within ``tol``
    of. A mistake is recognised by its ``symptom(record)``. Never raises.
    """
    label = learner_label(fn, name)
    think = _think(name, hint)
    try:
        weights = fn()
    except NotImplementedError:
        return unfinished(label, think, name)
    except Exception as exc:
        return crashed(label, exc, name)
    if weights is None:
        return CheckResult(False, f"{FAIL} {label} returned None: did you forget `return`?", "returned None", name)
    try:
        record = simulate(like_reference(weights, ()))
    except ValueError as exc:  # wrong number or shapes of weights, named by the simulator
        return CheckResult(False, f"{FAIL} {label}: {exc}", "shape", name)
    want = ideal(record)
    err = np.abs(record["out"] - want)
    if np.all(err < tol):
        return CheckResult(True, f"{PASS} {label}: the weights do the job on all {record['out'].shape[0]} "
                                 f"unseen test sequences ({what} within {tol:g} of the target everywhere).", None, name)
    for m in mistakes:
        try:
            with np.errstate(all="ignore"):
                if m.symptom(record):
                    return CheckResult(False, f"{FAIL} {label}: {m.message}", m.message, name)
        except Exception:
            continue
    n, t = np.unravel_index(int(np.argmax(err)), err.shape)
    return CheckResult(False, f"{FAIL} {label}: on unseen sequence {n}, step {t}, {what} is "
                              f"{record['out'][n, t]:.3g} where {want[n, t]:.3g} was wanted. Think about: {think} "
                              f"More: hint({name!r}).", "other", name)


def lstm_on_sequences(weights, x, H: int = 1) -> dict:
    """Run hand-set LSTM weights ``(Wx, Wh, b)`` over sequences x (N, T, D); returns h, c and the gates i, f, g, o (N, T, H).

    Raises ValueError naming what was expected when the weights do not fit (the behaviour checks report it).
    """
    from ..numpy_lstm import lstm_forward

    D = x.shape[-1]
    shapes = ((D, 4 * H), (H, 4 * H), (4 * H,))
    if not isinstance(weights, (tuple, list)) or len(weights) != 3:
        raise ValueError(f"return three arrays (Wx, Wh, b) of shapes {shapes}; got {type(weights).__name__} "
                         f"of length {len(weights) if hasattr(weights, '__len__') else '?'}")
    arrays = []
    for label, w, shape in zip(("Wx", "Wh", "b"), weights, shapes):
        w = np.asarray(w, dtype=np.float64)
        if w.shape != shape:
            raise ValueError(f"{label} has shape {w.shape}; expected {shape} (gate blocks in the order i, f, g, o)")
        arrays.append(w)
    h, cache = lstm_forward(x, np.zeros((x.shape[0], H)), *arrays)
    return {"h": h, "c": cache["c"], **{gate: cache[gate] for gate in "ifgo"}}
