"""`python -m lstm_helpers.tools.notebooks execute` never hangs: widget output cannot stall it, and a
stuck cell fails after the per-cell timeout with the notebook's name and the cell's number."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lstm_helpers.tools import notebooks

ROOT = Path(__file__).resolve().parents[1]


def _write(path, sources):
    cells = [new_markdown_cell("a title")] + [new_code_cell(s) for s in sources]
    nbformat.write(new_notebook(cells=cells), path)
    return path


def test_a_stuck_cell_fails_naming_its_number(tmp_path):
    path = _write(tmp_path / "stuck.ipynb", ["x = 1", "import time\ntime.sleep(120)", "print('never')"])
    before = path.read_bytes()
    with pytest.raises(notebooks.CellTimeout, match=r"stuck\.ipynb cell 2: still running after .* 3 s"):
        notebooks.execute(path, timeout=3)
    assert path.read_bytes() == before, "a failed run must leave the notebook as it was"


def test_the_command_reports_the_cell_and_fails(tmp_path):
    path = _write(tmp_path / "stuck.ipynb", ["import time\ntime.sleep(120)"])
    result = subprocess.run([sys.executable, "-m", "lstm_helpers.tools.notebooks", "execute",
                             "--cell-timeout", "3", str(path)], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 1
    assert "stuck.ipynb cell 1: still running" in result.stderr


def test_widget_output_cannot_stall_the_run(tmp_path, monkeypatch):
    """Cells writing into an Output widget made nbclient answer the kernel on the shell socket while
    polling it; the poll could then sleep until its timeout (the whole cell timeout, minutes) although
    the reply had come. The shell socket is now polled in slices of at most POLL_S seconds."""
    writes = ("import ipywidgets as w\nout = w.Output()\ndisplay(out)\n"
              "for j in range(20):\n    with out:\n        out.clear_output(wait=True)\n        print(j)\n")
    path = _write(tmp_path / "widgets.ipynb", [writes] * 6)
    waits = []
    client_class = notebooks._client_class()

    class Recording(client_class):
        async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
            get_msg = self.kc.shell_channel.get_msg
            if not getattr(get_msg, "recording", False):
                async def recorded(timeout=None):
                    waits.append(timeout)
                    return await get_msg(timeout=timeout)
                recorded.recording = True
                self.kc.shell_channel.get_msg = recorded
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

    monkeypatch.setattr(notebooks, "_client_class", lambda: Recording)
    notebooks.execute(path, timeout=60)
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    assert waits and max(waits) <= notebooks.POLL_S, f"shell socket polled with timeouts {sorted(set(waits))}"


def test_bad_arguments_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="path"):
        notebooks.execute(tmp_path / "missing.ipynb")
    path = _write(tmp_path / "ok.ipynb", ["1"])
    with pytest.raises(ValueError, match="timeout"):
        notebooks.execute(path, timeout=0)
