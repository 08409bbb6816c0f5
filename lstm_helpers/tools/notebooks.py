"""Execute the series' notebooks in place (the committed outputs) and lint them.

`python -m lstm_helpers.tools.notebooks execute notebooks/03_forget_gate.ipynb` re-runs one notebook
from a fresh kernel in its own folder; `lint` checks what nbval cannot (reasons on ignored cells).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

IGNORE_MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP")
IGNORE_TAGS = ("nbval-ignore-output", "nbval-skip")


def execute(path, timeout: int = 600) -> float:
    """Run every cell of the notebook at ``path`` in a fresh kernel and save it with its outputs.

    Returns the seconds it took. The file is replaced atomically, and only if every cell ran.
    """
    import nbformat
    from nbclient import NotebookClient

    from ..utils import atomic_write

    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"path: expected an existing .ipynb file, got {str(path)!r}")
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # wall-clock stamps would change every run
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    with atomic_write(path, "w") as fh:
        nbformat.write(nb, fh)
    return elapsed


def lint(path) -> list[str]:
    """Problems nbval does not catch: unrun cells, error outputs, ignore markers without a reason."""
    path = Path(path)
    nb = json.loads(path.read_text())
    problems = []
    for k, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        tags = cell.get("metadata", {}).get("tags", [])
        if src.strip() and cell.get("execution_count") is None:
            problems.append(f"{path.name} cell {k}: not executed")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"{path.name} cell {k}: error output {out.get('ename')}")
            if out.get("name") == "stderr" and "Traceback" in "".join(out.get("text", "")):
                problems.append(f"{path.name} cell {k}: a traceback on stderr")
        marked = any(m in src for m in IGNORE_MARKERS) or any(t in tags for t in IGNORE_TAGS)
        if marked:
            reason = [line for line in src.splitlines()
                      if line.strip().startswith("#") and not any(m in line for m in IGNORE_MARKERS)
                      and len(line.strip("# ").strip()) >= 15]
            if not reason:
                problems.append(f"{path.name} cell {k}: ignored output without a one-line reason comment")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["execute", "lint"])
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "execute":
        for p in args.paths:
            print(f"{p}: ran in {execute(p):.1f} s", flush=True)
        return 0
    problems = [msg for p in args.paths for msg in lint(p)]
    print("\n".join(problems) or "no problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
