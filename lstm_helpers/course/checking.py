"""The machinery every exercise checker shares: results, typical mistakes, the check loop, solutions and hints.

Each notebook's own exercises live in `course/nbNN.py`; this module knows nothing about any one of them.

How an exercise is written (in its notebook's module, e.g. `course/nb03.py`):

1. the reference solution, a function decorated with ``@solution`` (``show_solution("name")`` shows it);
2. its hint in the module's ``HINTS`` dict and its typical mistakes in the module's ``MISTAKES`` dict,
   each a ``Mistake(message, wrong)`` where ``wrong`` computes what the mistaken code returns;
3. ``check_<name>(fn)``, which returns ``run_check(...)`` on a few input cases.

A checker never raises: an unfinished exercise gets a hint, a crash gets a one-line explanation.
"""

from __future__ import annotations

import importlib
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

PASS, FAIL, TODO = "\u2705", "\u274c", "\u270f\ufe0f"

COURSE_MODULES = tuple(f"lstm_helpers.course.nb{k:02d}" for k in range(11))

SOLUTIONS: dict[str, Callable] = {}  # exercise name -> reference solution, filled by @solution
HINTS: dict[str, str] = {}  # exercise name -> hint, filled by register_hints


@dataclass
class CheckResult:
    """What a checker found. Shown in a notebook as its message; `passed` is for code and tests."""

    passed: bool
    message: str
    mistake: str | None = None

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


def register_hints(hints: dict) -> dict:
    """Register a module's ``HINTS`` (exercise name -> hint) so that ``hint(name)`` finds them; returns it."""
    HINTS.update(hints)
    return hints


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


def hint(name: str) -> str:
    """The hint of exercise ``name``, as a string (a notebook cell shows it)."""
    return _lookup(HINTS, name)


def as_tuple(out) -> tuple:
    """A learner's result as a tuple: a tuple stays, anything else becomes a 1-tuple."""
    return out if isinstance(out, tuple) else (out,)


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
        if x.shape != y.shape or not np.allclose(x, y, rtol=rtol, atol=atol):
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
        if not np.allclose(x, y, rtol=1e-6, atol=1e-8):
            return f"{which} differs from the reference by up to {np.max(np.abs(x - y)):.3g}"
    return "the outputs differ from the reference"


def unfinished(label: str, hint_text: str) -> CheckResult:
    """The result for an exercise that still raises NotImplementedError."""
    return CheckResult(False, f"{TODO} {label} is not written yet. Hint: {hint_text}".rstrip(), "unfinished")


def crashed(label: str, exc: Exception) -> CheckResult:
    """A learner's crash as one readable line (exception, message and the line), not a traceback."""
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return CheckResult(False, f"{FAIL} {label} raised {type(exc).__name__}: {exc} "
                              f"(line {frame.lineno}: {frame.line})", "crash")


def run_check(name: str, fn, reference, cases, mistakes=(), *, hint: str = "", rtol=1e-6, atol=1e-8) -> CheckResult:
    """Run ``fn`` and ``reference`` on every case; report success, a recognised mistake, or the difference.

    Put the most informative case first (distinct N, D, H), so a shape error shows up at once.
    The learner's function gets copies of array inputs, so an in-place change cannot spoil the reference.
    """
    label = f"`{name}`"
    for case in cases:
        want = reference(*case.args, **case.kwargs)
        try:
            got = fn(*[np.copy(a) if isinstance(a, np.ndarray) else a for a in case.args], **case.kwargs)
        except NotImplementedError:
            return unfinished(label, hint)
        except Exception as exc:  # a learner's crash becomes one readable line, not a traceback
            return crashed(label, exc)
        if got is None:
            return CheckResult(False, f"{FAIL} {label} returned None: did you forget `return`?", "returned None")
        if outputs_close(got, want, rtol, atol):
            continue
        for m in mistakes:
            try:
                if outputs_close(got, m.wrong(*case.args, **case.kwargs), rtol, atol):
                    return CheckResult(False, f"{FAIL} {label}: {m.message}", m.message)
            except Exception:  # a mistake model that does not apply to this case is skipped
                continue
        more = f" Hint: {hint}" if hint else ""
        return CheckResult(False, f"{FAIL} {label}: {describe_difference(got, want)}.{more}", "other")
    return CheckResult(True, f"{PASS} {label} is correct on all {len(cases)} test cases.")
