"""The grading command: runs copies of submitted notebooks, counts passed exercises, one line for a broken one."""

import csv

import nbformat

from lstm_helpers.tools import grade

SETUP = ("from lstm_helpers.course.nb03 import check_forget_bias_for, check_forget_gate, check_memory_after, "
         "forget_gate\nimport numpy as np\ncheck_forget_gate(forget_gate)  # a worked example: not graded")
SOLVED = "def memory_after(f, k, c0):\n    return c0 * f ** k"
UNSOLVED = "def memory_after(f, k, c0):\n    raise NotImplementedError"
BIAS = "def my_bias(keep):\n    return np.log(keep / (1 - keep))"


def _notebook(path, *cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_grade_counts_solved_and_unsolved_and_names_a_broken_notebook(tmp_path, capsys):
    solved = _notebook(tmp_path / "solved.ipynb", SETUP, SOLVED, "check_memory_after(memory_after)",
                       BIAS, "check_forget_bias_for(my_bias)")
    unsolved = _notebook(tmp_path / "unsolved.ipynb", SETUP, UNSOLVED, "check_memory_after(memory_after)",
                         BIAS, "check_forget_bias_for(my_bias)")
    broken = _notebook(tmp_path / "broken.ipynb", SETUP, "1 / 0")
    before = {p: p.read_bytes() for p in (solved, unsolved, broken)}
    out_csv = tmp_path / "grades.csv"
    rc = grade.main([str(solved), str(unsolved), str(broken), "--csv", str(out_csv), "--timeout", "60"])
    text = capsys.readouterr().out
    print(text)
    assert rc == 1  # one notebook failed to run
    lines = text.splitlines()
    assert any(ln.startswith("solved.ipynb") and "2 / 2" in ln for ln in lines)
    assert any(ln.startswith("unsolved.ipynb") and "1 / 2" in ln and "memory_after -" in ln for ln in lines)
    assert any(ln.startswith("broken.ipynb") and "did not run" in ln and "ZeroDivisionError" in ln for ln in lines)
    assert {p: p.read_bytes() for p in before} == before  # submissions untouched
    rows = list(csv.DictReader(out_csv.open()))
    assert {(r["notebook"].split("/")[-1], r["exercise"], r["passed"]) for r in rows if r["exercise"]} == {
        ("solved.ipynb", "memory_after", "1"), ("solved.ipynb", "forget_bias_for", "1"),
        ("unsolved.ipynb", "memory_after", "0"), ("unsolved.ipynb", "forget_bias_for", "1")}
    assert [r for r in rows if r["notebook"].endswith("broken.ipynb")][0]["error"].startswith("CellExecutionError")
