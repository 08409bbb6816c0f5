"""Execute the series' notebooks in place (the committed outputs) and lint them.

`python -m lstm_helpers.tools.notebooks execute notebooks/03_forget_gate.ipynb` re-runs one notebook
from a fresh kernel in its own folder; `lint` checks what nbclient and nbval cannot (reasons on ignored cells).

Why a plain nbclient run could stall: a cell that writes into an ``ipywidgets.Output`` makes nbclient's
Output-widget mimic send a ``comm_msg`` back to the kernel on the shell socket while the same socket
is being polled for the cell's ``execute_reply``. That send can swallow the socket's (edge-triggered)
wake-up, so the reply sits unread until the poll's timeout runs out, which was the whole cell
timeout: minutes after the kernel went idle. Here the shell socket is polled in short slices, so a
lost wake-up costs at most ``POLL_S``, and the cell still fails after ``cell_timeout`` seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

def dumps_notebook(nb) -> str:
    """A notebook as nbformat writes it (indent 1, sorted keys, unicode kept, final newline)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


IGNORE_MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP")
IGNORE_TAGS = ("nbval-ignore-output", "nbval-skip")
CELL_TIMEOUT_S = 300  # per cell; the slowest cell of the series takes well under a minute
POLL_S = 0.5          # longest time a lost wake-up of the shell socket can cost


class CellTimeout(RuntimeError):
    """A cell did not finish within the per-cell timeout (the message names the notebook and the cell)."""


def _client_class():
    """nbclient's NotebookClient, polling the shell socket in short slices (see the module docstring)."""
    import asyncio
    from queue import Empty

    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError
    from nbclient.util import ensure_async

    class Client(NotebookClient):
        async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
            try:
                return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
            except CellTimeoutError:
                name = Path(self.resources.get("name", "notebook")).name
                raise CellTimeout(f"{name} cell {cell_index}: still running after the per-cell "
                                  f"timeout of {self.timeout} s") from None

        async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg,
                                        task_poll_kernel_alive):
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                left = POLL_S if deadline is None else deadline - time.monotonic()
                if left <= 0:
                    task_poll_kernel_alive.cancel()
                    await self._async_check_alive()
                    raise CellTimeoutError.error_from_timeout_and_cell("Cell execution timed out", timeout, cell)
                try:
                    msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=min(POLL_S, left)))
                except Empty:
                    continue
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                try:  # the reply is in: wait (briefly) for the idle status that ends the cell's output
                    await asyncio.wait_for(task_poll_output_msg, self.iopub_timeout)
                except (asyncio.TimeoutError, Empty):
                    self.log.warning("Timeout waiting for IOPub output")
                task_poll_kernel_alive.cancel()
                return msg

    return Client


def execute(path, timeout: int = CELL_TIMEOUT_S) -> float:
    """Run every cell of the notebook at ``path`` in a fresh kernel and save it with its outputs.

    Each cell gets at most ``timeout`` seconds; a slower cell raises ``CellTimeout`` naming its
    index (0-based, among all cells, as in the .ipynb file). Returns the seconds it took. The file is replaced
    atomically, and only if every cell ran.
    """
    import nbformat

    from ..utils import atomic_write

    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"path: expected an existing .ipynb file, got {str(path)!r}")
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError(f"timeout: expected a number of seconds > 0, got {timeout!r}")
    nb = nbformat.read(path, as_version=4)
    client = _client_class()(nb, timeout=timeout, kernel_name="python3",
                             resources={"name": path.name, "metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
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
    parser.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT_S,
                        help=f"seconds one cell may run before the run fails (default {CELL_TIMEOUT_S})")
    args = parser.parse_args(argv)
    if args.command == "execute":
        for p in args.paths:
            try:
                print(f"{p}: ran in {execute(p, timeout=args.cell_timeout):.1f} s", flush=True)
            except CellTimeout as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
        return 0
    problems = [msg for p in args.paths for msg in lint(p)]
    print("\n".join(problems) or "no problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
