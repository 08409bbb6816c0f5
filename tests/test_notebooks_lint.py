"""What nbval cannot see: every notebook is executed, error-free, and explains each ignored output."""

from pathlib import Path

import pytest

from lstm_helpers.tools.notebooks import lint

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert (ROOT / "notebooks" / "00_start_here.ipynb") in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_lint(path):
    assert lint(path) == []


def test_lint_catches_an_unexplained_ignore(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nprint(1)")
    cell.execution_count = 1
    nb.cells = [cell, nbformat.v4.new_code_cell("print(2)")]
    p = tmp_path / "x.ipynb"
    nbformat.write(nb, p)
    problems = lint(p)
    assert any("without a one-line reason" in m for m in problems)
    assert any("not executed" in m for m in problems)
