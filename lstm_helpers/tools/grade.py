"""Grade submitted notebooks: run copies headless and count the exercises whose checker passed.

`python -m lstm_helpers.tools.grade a.ipynb b.ipynb --csv grades.csv` never modifies the submissions.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path



ROOT = Path(__file__).resolve().parents[2]  # the repository: lstm_helpers/tools/grade.py -> ../../..
SHARED_FOLDERS = ("results", "img")
CHECK_CALL = re.compile(r"^\s*check_(\w+)\(", re.MULTILINE)


def results_of(nb: dict) -> dict:
    """Exercise name -> passed, from the checker cells of an executed notebook (the last run counts).

    A checker cell calls ``check_NAME(...)``; its shown result starts with the pass mark when the
    exercise passed. Worked examples (shown solved in the notebook) are left out.
    """
    from ..course import checking

    checking._load_all()
    found = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        names = [n for n in CHECK_CALL.findall("".join(cell.get("source", ""))) if n in checking.SOLUTIONS]
        if len(names) != 1 or names[0] in checking.WORKED_EXAMPLES:
            continue
        shown = "".join("".join(out.get("data", {}).get("text/plain", "")) + "".join(out.get("text", ""))
                        for out in cell.get("outputs", []))
        found[names[0]] = shown.lstrip().startswith(checking.PASS)
    return found


def grade(path, *, timeout: int = 120) -> dict:
    """Run a copy of the notebook at ``path`` in a temporary folder; returns a row for the table.

    The row has ``notebook``, ``passed``, ``total``, ``exercises`` (name -> passed) and ``error``
    (None, or one line saying why the notebook did not run to the end). ``timeout`` is per cell.
    """
    from .notebooks import execute

    path = Path(path)
    row = {"notebook": str(path), "passed": 0, "total": 0, "exercises": {}, "error": None}
    if path.suffix != ".ipynb" or not path.is_file():
        row["error"] = "not an existing .ipynb file"
        return row
    with tempfile.TemporaryDirectory() as tmp:
        # the series' layout: the copy sits in notebooks/, next to links to the repository's results/
        # and img/, so that a cell reading "../results/recall.json" finds it (read only)
        (Path(tmp) / "notebooks").mkdir()
        copy = Path(tmp) / "notebooks" / path.name
        shutil.copyfile(path, copy)
        for shared in SHARED_FOLDERS:
            if (ROOT / shared).is_dir():
                (Path(tmp) / shared).symlink_to(ROOT / shared, target_is_directory=True)
        try:
            execute(copy, timeout=timeout)
        except Exception as exc:  # a notebook that fails to run gets one line, not a traceback
            plain = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # no terminal colour codes in a table or CSV
            lines = [ln for ln in plain.strip().splitlines() if ln.strip()]
            row["error"] = f"{type(exc).__name__}: {lines[-1] if lines else ''}"[:200]
            return row
        found = results_of(json.loads(copy.read_text()))
    row.update(exercises=found, passed=sum(found.values()), total=len(found))
    return row


def table(rows) -> str:
    """The rows as a plain text table: notebook, exercises passed out of those checked, and which passed."""
    lines = [f"{'notebook':40s} {'passed':>8s}  exercises"]
    for r in rows:
        if r["error"]:
            lines.append(f"{Path(r['notebook']).name:40s} {'FAILED':>8s}  did not run: {r['error']}")
        else:
            marks = ", ".join(f"{name} {'ok' if ok else '-'}" for name, ok in sorted(r["exercises"].items()))
            lines.append(f"{Path(r['notebook']).name:40s} {r['passed']:>3d} / {r['total']:<2d}  {marks}")
    return "\n".join(lines)


def write_csv(rows, path) -> None:
    """One line per notebook and exercise (notebook, exercise, passed, error), written atomically."""
    from ..utils import atomic_write

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["notebook", "exercise", "passed", "error"])
    for r in rows:
        if r["error"] or not r["exercises"]:
            w.writerow([r["notebook"], "", "", r["error"] or "no exercise checked"])
        for name, ok in sorted(r["exercises"].items()):
            w.writerow([r["notebook"], name, int(ok), ""])
    with atomic_write(Path(path), "w") as fh:
        fh.write(buf.getvalue())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_helpers.tools.grade", description=__doc__)
    parser.add_argument("notebooks", nargs="+", help="submitted .ipynb files (never modified)")
    parser.add_argument("--csv", help="also write the results to this CSV file (atomically)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds allowed per cell (default 120)")
    args = parser.parse_args(argv)
    rows = [grade(p, timeout=args.timeout) for p in args.notebooks]
    print(table(rows))
    if args.csv:
        write_csv(rows, args.csv)
    return 1 if any(r["error"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
