"""Every help a notebook offers works: each `hint("x")` and `show_solution("x")` its text or outputs show.

Read statically from the committed notebooks, English and Chinese: the names the setup cell (the first
code cell) imports must include the helper, and calling it for the exercise named must succeed.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from pathlib import Path

import pytest

from lstm_helpers.course import checking

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "zh").glob("*.ipynb"))
# hint("x"), hint('x'), show_solution("x"), in prose (inside backticks) or in a checker's printed message
OFFER = re.compile(r"""\b(hint|show_solution)\(\s*(["'])([^"']*)\2\s*\)""")
# Notebooks whose setup cell another branch of issue 21 changes: they must pass once that lands.
PENDING = {}  # notebook number -> why its help links cannot work yet


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def offers(nb: dict) -> set[tuple[str, str, int]]:
    """(helper, exercise, cell index) for every hint/show_solution call a markdown cell or an output shows."""
    found = set()
    for k, cell in enumerate(nb["cells"]):
        texts = [_text(cell["source"])] if cell["cell_type"] == "markdown" else []
        for out in cell.get("outputs", []):
            texts.append(_text(out.get("text", "")))
            texts.extend(_text(v) for v in out.get("data", {}).values())
        for text in texts:
            found |= {(m.group(1), m.group(3), k) for m in OFFER.finditer(text)}
    return found


def setup_names(nb: dict) -> dict:
    """The names the setup cell (the first code cell) binds by its imports, resolved to their objects."""
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code = "\n".join(ln for ln in _text(cell["source"]).splitlines() if not ln.lstrip().startswith(("%", "!")))
    names = {}
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            module = importlib.import_module(node.module)
            for alias in node.names:
                try:
                    names[alias.asname or alias.name] = getattr(module, alias.name)
                except AttributeError:  # a submodule: `from lstm_helpers import numpy_lstm`
                    names[alias.asname or alias.name] = importlib.import_module(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = importlib.import_module(alias.name)
    return names


def _id(path: Path) -> str:
    return ("zh-" if path.parent.name == "zh" else "") + path.stem[:2]


def _params():
    for path in NOTEBOOKS:
        marks = [pytest.mark.xfail(reason=PENDING[path.stem[:2]], strict=False)] if path.stem[:2] in PENDING else []
        yield pytest.param(path, id=_id(path), marks=marks)


@pytest.mark.parametrize("path", list(_params()))
def test_every_hint_and_solution_a_notebook_offers_can_be_called(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    wanted = offers(nb)
    if not wanted:
        return
    names = setup_names(nb)
    saved = dict(checking._HINT_LEVEL)
    problems = []
    try:
        for helper, exercise, k in sorted(wanted):
            fn = names.get(helper)
            if not callable(fn):
                problems.append(f"cell {k} offers {helper}({exercise!r}), but the setup cell does not import {helper}")
                continue
            try:
                shown = fn(exercise)
            except Exception as exc:  # noqa: BLE001 (any failure is what a learner would see)
                problems.append(f"cell {k}: {helper}({exercise!r}) raised {type(exc).__name__}: {exc}")
                continue
            if helper == "hint":
                assert exercise in shown
            else:
                assert f"def {exercise}" in shown.source
    finally:
        checking._HINT_LEVEL.clear()
        checking._HINT_LEVEL.update(saved)
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_the_scan_finds_offers_in_prose_and_in_outputs_and_reads_the_setup_imports():
    nb = {"cells": [
        {"cell_type": "code", "source": "%matplotlib inline\nfrom lstm_helpers.course.nb03 import hint\n",
         "outputs": []},
        {"cell_type": "markdown", "source": ["Stuck? `hint(\"memory_after\")` or ",
                                             "`show_solution('forget_bias_for')`."]},
        {"cell_type": "code", "source": "check(f)", "outputs": [
            {"output_type": "execute_result", "data": {"text/plain": "\u274c More: hint('forget_gate')."}}]},
    ]}
    assert offers(nb) == {("hint", "memory_after", 1), ("show_solution", "forget_bias_for", 1),
                          ("hint", "forget_gate", 2)}
    names = setup_names(nb)
    assert names["hint"] is checking.hint and "show_solution" not in names
