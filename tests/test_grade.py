"""The grading command: the series' checkers on each learner's functions, one exercise at a time, in children.

Every way a submission could try to gain marks without a working function is tried here and fails.
The submissions are notebook 03 as the series ships it, with some cells rewritten.
"""

import copy
import csv
import json

import pytest

from lstm_helpers.course import checking
from lstm_helpers.tools import grade

COMMITTED = grade.committed_notebooks()["03"]
MEMORY = "nb03-ex2-code"
MEMORY_CHECK = "nb03-ex2-check"
BIAS = "nb03-ex3-code"
BIAS_CHECK = "nb03-ex3-check"
SOLVED_MEMORY = "def memory_after(f, k, c0):\n    return c0 * f ** k\n"
SOLVED_BIAS = "def forget_bias_for(keep):\n    return np.log(keep / (1 - keep))\n"  # np: from the setup cell
UNSOLVED_MEMORY = "def memory_after(f, k, c0):\n    # YOUR CODE HERE\n    raise NotImplementedError\n"
PASS_OUTPUT = {"output_type": "stream", "name": "stdout", "text": [f"{checking.PASS} memory_after is correct.\n"]}


def _submission(tmp_path, name="03_forget_gate.ipynb", *, replace=None, drop=(), append=(), insert_before=None):
    """Notebook 03 with cells rewritten: ``replace`` maps cell id -> new source, ``drop`` lists ids to delete,
    ``append`` adds code cells at the end, ``insert_before`` maps a cell id -> sources of new cells put before it."""
    tmp_path.mkdir(exist_ok=True)
    nb = json.loads(COMMITTED.read_text(encoding="utf-8"))
    cells = []
    for cell in nb["cells"]:
        for k, src in enumerate((insert_before or {}).get(cell.get("id"), ())):
            cells.append({"cell_type": "code", "id": f"new-{cell['id']}-{k}", "metadata": {}, "source": src,
                          "outputs": [], "execution_count": None})
        if cell.get("id") in drop:
            continue
        cell = copy.deepcopy(cell)
        if cell.get("id") in (replace or {}):
            cell["source"] = replace[cell["id"]]
        cells.append(cell)
    for k, src in enumerate(append):
        cells.append({"cell_type": "code", "id": f"appended-{k}", "metadata": {}, "source": src, "outputs": [],
                      "execution_count": None})
    nb["cells"] = cells
    path = tmp_path / name
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _grade(path, **kw):
    """{exercise: row} for one submission of notebook 03."""
    return {r["exercise"]: r for r in grade.grade_submission(path, "03", **kw)}


SOLVED = {MEMORY: SOLVED_MEMORY, BIAS: SOLVED_BIAS}


# ------------------------------------------------------------------------------------------------
# The exercise list is the series', not the submission's

def test_exercises_come_from_the_registry_and_the_committed_notebook_without_worked_examples():
    for nn in grade.gradable_numbers():
        exercises = grade.series_exercises(nn)
        registered = {n for n, fn in checking.SOLUTIONS.items()
                      if fn.__module__ == f"lstm_helpers.course.nb{nn}" and n not in checking.WORKED_EXAMPLES}
        assert {e.name for e in exercises} == registered, nn
    assert [e.name for e in grade.series_exercises("03")] == ["memory_after", "forget_bias_for"]
    assert "forget_gate" in checking.WORKED_EXAMPLES  # shown solved in 03: never graded
    assert grade.series_exercises("05")[0].function == "my_cell_update_backward"  # the notebook's own name


def test_a_correct_submission_passes_and_an_unfinished_one_gets_the_hint(tmp_path):
    rows = _grade(_submission(tmp_path, replace=SOLVED))
    assert [r["status"] for r in rows.values()] == ["pass", "pass"]
    assert rows["memory_after"]["cell"] == f"cell 24 (id {MEMORY})"
    rows = _grade(_submission(tmp_path))  # as shipped: both exercises unfinished
    assert [r["status"] for r in rows.values()] == ["unfinished", "unfinished"]
    assert checking.first_hint("memory_after") in rows["memory_after"]["detail"]


def test_every_notebook_of_the_series_grades_unfinished_as_shipped_and_full_marks_when_solved(tmp_path):
    jobs = []
    for nn in grade.gradable_numbers():
        committed = grade.committed_notebooks()[nn]
        solved = tmp_path / f"solved_{committed.name}"
        solved.write_text(json.dumps(grade._solved_copy(json.loads(committed.read_text(encoding="utf-8")), nn)))
        jobs += [(committed, nn), (solved, nn)]
    rows = grade.grade_all(jobs, jobs=2)
    shipped = [r for r in rows if not r["submission"].startswith(str(tmp_path))]
    assert {r["status"] for r in shipped} == {"unfinished"}, [r for r in shipped if r["status"] != "unfinished"]
    assert all(r["passed"] for r in rows if r["submission"].startswith(str(tmp_path)))
    assert len(shipped) == sum(len(grade.series_exercises(nn)) for nn in grade.gradable_numbers())


def test_a_deleted_checker_cell_or_exercise_cell_still_counts_against_the_total(tmp_path):
    no_checker = _submission(tmp_path, replace={BIAS: SOLVED_BIAS}, drop=(MEMORY_CHECK,))
    rows = _grade(no_checker)
    assert set(rows) == {"memory_after", "forget_bias_for"}  # not 1 / 1
    assert rows["memory_after"]["status"] == "unfinished" and rows["forget_bias_for"]["passed"]
    rows = _grade(_submission(tmp_path, replace={BIAS: SOLVED_BIAS}, drop=(MEMORY, MEMORY_CHECK)))
    assert rows["memory_after"]["status"] == "missing" and "memory_after" in rows["memory_after"]["detail"]
    assert rows["forget_bias_for"]["passed"]


# ------------------------------------------------------------------------------------------------
# Attempts to gain marks without a working function

def test_a_redefined_checker_that_prints_the_pass_mark_gains_nothing(tmp_path):
    fake = ("def check_memory_after(fn):\n"
            f"    print('{checking.PASS} memory_after is correct on all 3 test cases.')\n")
    path = _submission(tmp_path, replace={MEMORY: UNSOLVED_MEMORY + "\n\n" + fake})
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:  # and the output the fake checker would have shown
        if cell.get("id") == MEMORY_CHECK:
            cell["outputs"] = [PASS_OUTPUT]
    path.write_text(json.dumps(nb))
    row = _grade(path)["memory_after"]
    assert row["status"] == "unfinished" and not row["passed"]


def test_printing_the_pass_mark_gains_nothing(tmp_path):
    printed = f"print('{checking.PASS} memory_after is correct')\n" + UNSOLVED_MEMORY
    row = _grade(_submission(tmp_path, replace={MEMORY: printed, MEMORY_CHECK: f"print('{checking.PASS}')"}))
    assert row["memory_after"]["status"] == "unfinished"


def test_patching_the_checking_module_gains_nothing(tmp_path):
    patched = ("import numpy\nimport lstm_helpers.course.checking as c\nimport lstm_helpers.course.nb03 as nb\n"
               "c.outputs_close = lambda *a, **k: True\n"
               "nb.check_memory_after = lambda fn: c.CheckResult(True, c.PASS)\n"
               "numpy.allclose = lambda *a, **k: True\n\n\n"
               "def memory_after(f, k, c0):\n"
               "    c.run_check = lambda *a, **k: c.CheckResult(True, c.PASS)  # patched again, at call time\n"
               "    return c0 * 0.0\n")
    row = _grade(_submission(tmp_path, replace={MEMORY: patched}))["memory_after"]
    assert row["status"] == "wrong" and checking.FAIL in row["detail"]


def test_faked_results_gain_nothing(tmp_path):
    fake = ("import numpy as np\n"
            "class Anything:\n"
            "    def __eq__(self, other):\n        return True\n"
            "    def __array__(self, *a, **k):\n        raise TypeError('no')\n\n\n"
            "class Close(np.ndarray):\n"
            "    def __array_function__(self, func, types, args, kwargs):\n        return True\n\n\n"
            "def memory_after(f, k, c0):\n    return Anything()\n\n\n"
            "def forget_bias_for(keep):\n    return np.zeros_like(np.asarray(keep, dtype=float)).view(Close)\n")
    rows = _grade(_submission(tmp_path, replace={MEMORY: fake, BIAS: fake}))
    assert rows["memory_after"]["status"] == "wrong" and rows["forget_bias_for"]["status"] == "wrong"


# ------------------------------------------------------------------------------------------------
# Each exercise on its own, with the failing cell named

def test_a_later_broken_cell_costs_nothing(tmp_path):
    later = ["1 / 0", "raise SystemExit(1)", "import os\nos._exit(3)", "undefined_name + 1", "def broken(:\n    pass"]
    rows = _grade(_submission(tmp_path, replace=SOLVED, append=later))
    assert all(r["passed"] for r in rows.values())


def test_a_broken_cell_costs_only_what_depends_on_it_and_is_named(tmp_path):
    helper = "SCALE = 1.0\nOFFSET = 1 / 0  # broken\n"
    memory = "def memory_after(f, k, c0):\n    return SCALE * OFFSET * c0 * f ** k\n"
    path = _submission(tmp_path, replace={MEMORY: memory, BIAS: SOLVED_BIAS}, insert_before={MEMORY: [helper]})
    rows = _grade(path)
    memory_row = rows["memory_after"]
    assert memory_row["status"] == "crash"  # OFFSET never got a value
    assert f"cell 24 (id new-{MEMORY}-0), line 2: ZeroDivisionError: division by zero" in memory_row["failed_cell"]
    assert "NameError" in memory_row["detail"] and "OFFSET" in memory_row["detail"]
    assert rows["forget_bias_for"]["passed"]  # does not use the broken cell


def test_a_crash_names_the_learners_cell_and_line(tmp_path):
    crash = "def memory_after(f, k, c0):\n    kept = f ** k\n    raise ValueError('boom')\n"
    row = _grade(_submission(tmp_path, replace={MEMORY: crash}))["memory_after"]
    assert row["status"] == "crash"
    assert "raised ValueError: boom (line 3: raise ValueError('boom'))" in row["detail"]
    assert row["failed_cell"] == f"cell 24 (id {MEMORY}), line 3: ValueError: boom"
    inside_numpy = "def memory_after(f, k, c0):\n    return np.reshape(c0 * f ** k, (7, 7))\n"
    row = _grade(_submission(tmp_path, replace={MEMORY: inside_numpy}))["memory_after"]
    assert row["status"] == "crash" and "raised ValueError: cannot reshape" in row["detail"]
    assert row["failed_cell"].startswith(f"cell 24 (id {MEMORY}), line 2: ValueError: cannot reshape")


def test_a_syntax_error_in_the_exercise_cell_is_named(tmp_path):
    row = _grade(_submission(tmp_path, replace={MEMORY: "def memory_after(f, k, c0)\n    return c0\n"}))["memory_after"]
    assert row["status"] == "error" and "SyntaxError" in row["failed_cell"] and "cell 24" in row["failed_cell"]


def test_an_in_place_change_of_an_input_is_still_reported(tmp_path):
    in_place = "def memory_after(f, k, c0):\n    c0 *= f ** k\n    return c0\n"
    row = _grade(_submission(tmp_path, replace={MEMORY: in_place}))["memory_after"]
    assert row["passed"] and "changed its input" in row["detail"]


def test_an_endless_loop_hits_the_time_limit_and_costs_only_its_exercise(tmp_path):
    endless = "def memory_after(f, k, c0):\n    while True:\n        pass\n"
    rows = _grade(_submission(tmp_path, replace={MEMORY: endless, BIAS: SOLVED_BIAS}), exercise_timeout=4)
    assert rows["memory_after"]["status"] == "timeout" and "4 s" in rows["memory_after"]["detail"]
    assert rows["forget_bias_for"]["passed"]
    stuck = "while True:\n    pass\n"  # at the top level of the exercise cell: that cell is named
    rows = _grade(_submission(tmp_path, replace={MEMORY: "LIMIT = 3\n" + stuck + SOLVED_MEMORY, BIAS: SOLVED_BIAS}),
                  exercise_timeout=4)
    assert rows["memory_after"]["status"] == "timeout" and "cell 24" in rows["memory_after"]["failed_cell"]


def test_the_submission_time_limit_caps_all_its_exercises(tmp_path):
    endless = "def memory_after(f, k, c0):\n    while True:\n        pass\n"
    rows = _grade(_submission(tmp_path, replace={MEMORY: endless, BIAS: SOLVED_BIAS}), timeout=1.5, exercise_timeout=30)
    assert rows["memory_after"]["status"] == "timeout"
    assert rows["forget_bias_for"]["status"] == "timeout" and "submission" in rows["forget_bias_for"]["detail"]


def test_only_the_statements_the_exercise_needs_are_planned(tmp_path):
    nb = json.loads(_submission(tmp_path, replace=SOLVED).read_text())
    cells = grade.read_cells(nb)
    target = next(c for c in cells if c.id == BIAS)
    planned = [grade.ast.unparse(s) for _, s in grade.plan_statements(cells, target)]
    assert planned == ["import numpy as np"]  # from the setup cell; no plotting, no experiment


# ------------------------------------------------------------------------------------------------
# The command: many submissions, a table, CSV, bad input

def test_command_grades_in_parallel_prints_a_table_and_writes_csv(tmp_path, capsys):
    solved = _submission(tmp_path / "a", replace=SOLVED)
    unsolved = _submission(tmp_path / "b", "bob_03_forget_gate.ipynb", replace={BIAS: SOLVED_BIAS})
    before = {p: p.read_bytes() for p in (solved, unsolved)}
    out_csv = tmp_path / "grades.csv"
    rc = grade.main([str(solved), str(unsolved), "--csv", str(out_csv), "--jobs", "2"])
    text = capsys.readouterr().out
    print(text)
    assert rc == 0
    assert any(ln.startswith("03_forget_gate.ipynb") and "2 / 2" in ln for ln in text.splitlines())
    assert any(ln.startswith("bob_03_forget_gate.ipynb") and "1 / 2" in ln and "todo" in ln for ln in text.splitlines())
    assert "bob_03_forget_gate.ipynb / memory_after" in text  # the problems, below the table
    assert {p: p.read_bytes() for p in before} == before  # submissions untouched
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert tuple(rows[0]) == grade.CSV_FIELDS
    assert {(r["submission"].split("/")[-1], r["exercise"], r["passed"], r["status"]) for r in rows} == {
        ("03_forget_gate.ipynb", "memory_after", "1", "pass"), ("03_forget_gate.ipynb", "forget_bias_for", "1", "pass"),
        ("bob_03_forget_gate.ipynb", "memory_after", "0", "unfinished"),
        ("bob_03_forget_gate.ipynb", "forget_bias_for", "1", "pass")}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # written atomically
    serial = grade.grade_all([(solved, "03"), (unsolved, "03")], jobs=1)
    parallel = grade.grade_all([(solved, "03"), (unsolved, "03")], jobs=2)
    assert serial == parallel


@pytest.mark.parametrize("case", ["missing", "folder", "text", "no cells", "no number", "unknown number",
                                  "bad --notebook", "bad --jobs", "csv folder"])
def test_bad_input_gets_one_line_naming_the_argument_before_any_work(tmp_path, capsys, case, monkeypatch):
    good = _submission(tmp_path, replace=SOLVED)
    text = tmp_path / "notes.ipynb"
    text.write_text("my answers: 42")
    cellless = tmp_path / "03_empty.ipynb"
    cellless.write_text("[1, 2]")
    anonymous = tmp_path / "alice.ipynb"
    anonymous.write_text(good.read_text())
    thirteen = tmp_path / "13_extra.ipynb"
    thirteen.write_text(good.read_text())
    argv, said = {
        "missing": ([str(good), str(tmp_path / "nope.ipynb")],
                    "nope.ipynb: expected an existing .ipynb file, got no such file"),
        "folder": ([str(tmp_path)], "expected an .ipynb file, got a folder"),
        "text": ([str(text)], "notes.ipynb: expected a Jupyter notebook (JSON), got a file that is not JSON"),
        "no cells": ([str(cellless)],
                     "03_empty.ipynb: expected a Jupyter notebook (a JSON object with a 'cells' list)"),
        "no number": ([str(anonymous)], "alice.ipynb: expected a file name that says the notebook"),
        "unknown number": ([str(thirteen)], "13_extra.ipynb: expected a submission of a notebook with exercises (01,"),
        "bad --notebook": ([str(good), "--notebook", "13"], "--notebook: expected the number of a notebook with "
                                                             "exercises (01,"),
        "bad --jobs": ([str(good), "--jobs", "0"], "--jobs: expected a positive int, got '0'"),
        "csv folder": ([str(good), "--csv", str(tmp_path / "no" / "g.csv")],
                       "--csv: expected a file in an existing folder"),
    }[case]
    monkeypatch.setattr(grade, "grade_all", lambda *a, **k: pytest.fail("graded despite bad input"))
    if case == "bad --jobs":  # argparse's own message for a bad type
        with pytest.raises(SystemExit):
            grade.main(argv)
    else:
        assert grade.main(argv) == 2
    out = capsys.readouterr()
    assert out.out == ""
    lines = [ln for ln in out.err.splitlines() if ln.strip()]
    assert said in lines[-1]
    if case != "bad --jobs":
        assert len(lines) == 1


def test_anonymous_submissions_are_graded_with_notebook(tmp_path, capsys):
    path = _submission(tmp_path, "alice.ipynb", replace=SOLVED)
    assert grade.main([str(path), "--notebook", "3", "--jobs", "1"]) == 0
    assert "2 / 2" in capsys.readouterr().out


def test_a_submission_that_kills_its_worker_costs_only_itself(tmp_path):
    killer = "import os\nimport signal\n\n\ndef memory_after(f, k, c0):\n    os.kill(os.getppid(), signal.SIGKILL)\n"
    paths = [_submission(tmp_path / name, replace=SOLVED) for name in ("a", "c")]
    paths.insert(1, _submission(tmp_path / "b", replace={MEMORY: killer, BIAS: SOLVED_BIAS}))
    rows = grade.grade_all([(p, "03") for p in paths], jobs=2)
    by = {(r["submission"].split("/")[-2], r["exercise"]): r for r in rows}
    assert by["a", "memory_after"]["passed"] and by["c", "forget_bias_for"]["passed"]
    assert not by["b", "memory_after"]["passed"] and not by["b", "forget_bias_for"]["passed"]
    assert "killed" in by["b", "memory_after"]["detail"]


def test_the_plan_keeps_in_place_changes_of_the_values_it_needs(tmp_path):
    data = "W = np.zeros(3)\nfor j in range(3):\n    W[j] = j + 1.0\nUNUSED = 1 / 0\n"
    memory = "def memory_after(f, k, c0):\n    return c0 * f ** k * W[0]  # W[0] is 1 after the loop\n"
    path = _submission(tmp_path, replace={MEMORY: memory}, insert_before={MEMORY: [data]})
    cells = grade.read_cells(json.loads(path.read_text()))
    planned = [grade.ast.unparse(s) for _, s in grade.plan_statements(cells, next(c for c in cells if c.id == MEMORY))]
    assert planned == ["import numpy as np", "W = np.zeros(3)", "for j in range(3):\n    W[j] = j + 1.0"]
    assert _grade(path)["memory_after"]["passed"]


def test_the_table_tells_submissions_with_the_same_file_name_apart():
    short = grade.short_names(["/x/alice/03_forget_gate.ipynb", "/x/bob/03_forget_gate.ipynb", "/x/carol_03.ipynb"])
    assert list(short.values()) == ["alice/03_forget_gate.ipynb", "bob/03_forget_gate.ipynb", "carol_03.ipynb"]
