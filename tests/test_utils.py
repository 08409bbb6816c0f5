"""Seeding, device choice, source display, validation helpers and atomic writes."""

import io
import random
import subprocess
import sys
from contextlib import redirect_stdout

import numpy as np
import pytest
import torch

from lstm_helpers import utils


def test_import_has_no_side_effects():
    code = ("import random, numpy as np, matplotlib as mpl\n"
            "r = dict(mpl.rcParams); s = np.random.get_state()[1].copy(); p = random.getstate()\n"
            "import lstm_helpers, lstm_helpers.utils, lstm_helpers.numpy_lstm, lstm_helpers.numpy_rnn, "
            "lstm_helpers.gradcheck, lstm_helpers.plots, lstm_helpers.widgets, lstm_helpers.course.checking, "
            "lstm_helpers.torch_lstm, lstm_helpers.gradient_flow\n"
            "assert dict(mpl.rcParams) == r and (np.random.get_state()[1] == s).all() and random.getstate() == p\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "", "importing the package must print nothing"


def test_set_seed_reproduces_all_generators():
    g1 = utils.set_seed(3)
    a = (random.random(), np.random.rand(), torch.rand(1).item(), g1.random())
    g2 = utils.set_seed(3)
    assert a == (random.random(), np.random.rand(), torch.rand(1).item(), g2.random())
    with pytest.raises(ValueError, match="seed: expected an int, got str"):
        utils.set_seed("3")


def test_get_device_is_silent_unless_asked_and_honours_prefer():
    buf = io.StringIO()
    with redirect_stdout(buf):
        dev = utils.get_device()
    assert buf.getvalue() == ""
    if not torch.cuda.is_available():
        assert dev.type in ("cpu", "mps")
    with redirect_stdout(buf):
        utils.get_device(verbose=True)
    assert buf.getvalue().startswith(f"Using device '{dev.type}': ")
    assert utils.get_device("cpu").type == "cpu"
    with pytest.raises(ValueError, match="prefer: expected one of"):
        utils.get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="prefer: device 'cuda' was asked for but is not available"):
            utils.get_device("cuda")


def test_set_seed_seeds_torch_even_when_torch_was_not_imported_before():
    code = ("import sys\n"
            "from lstm_helpers.utils import set_seed\n"
            "assert 'torch' not in sys.modules\n"
            "set_seed(5)\n"
            "import torch\n"
            "a = torch.rand(3).tolist()\n"
            "torch.manual_seed(5)\n"
            "assert a == torch.rand(3).tolist(), 'torch was not seeded'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_show_source_returns_highlighted_code_with_scoped_styles():
    from lstm_helpers.numpy_lstm import forget_gate
    code = utils.show_source(forget_gate)
    assert code.source.startswith("def forget_gate(") and "sigmoid" in code.source
    assert repr(code) == code.source  # the plain-text form nbval compares
    html = code._repr_html_()
    css = html[html.index("<style>") + len("<style>"):html.index("</style>")]
    scope = "." + utils.SOURCE_CSS_CLASS
    rules = [line for line in css.splitlines() if line.strip()]
    assert rules and all(line.startswith(scope) for line in rules), "a style rule reaches outside the source box"
    assert f'class="{utils.SOURCE_CSS_CLASS}"' in html and "sigmoid" in html
    part = utils.show_source(utils.set_seed, start="random.seed")
    assert part.source.lstrip().startswith("random.seed")
    with pytest.raises(ValueError, match="start: 'nope' does not occur"):
        utils.show_source(forget_gate, start="nope")
    with pytest.raises(ValueError, match="obj: expected a function"):
        utils.show_source(3)


def test_notebooks_show_only_public_names():
    """Whatever a notebook shows with show_source is API: public, so never a name starting with _."""
    import json
    import re
    from pathlib import Path

    shown = re.compile(r"show_source\(\s*([A-Za-z_][\w.]*)")
    bad = []
    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb")):
        for k, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "code":
                for name in shown.findall("".join(cell["source"])):
                    if name.split(".")[-1].startswith("_"):
                        bad.append(f"{path.name} cell {k}: show_source({name})")
    assert bad == []


def test_quick_mode(monkeypatch):
    monkeypatch.setenv("LSTM_QUICK", "1")
    assert utils.quick_mode()
    monkeypatch.setenv("LSTM_QUICK", "0")
    assert not utils.quick_mode()
    monkeypatch.delenv("LSTM_QUICK")
    assert not utils.quick_mode()


def test_atomic_write_leaves_nothing_half_written(tmp_path):
    target = tmp_path / "out.txt"
    with utils.atomic_write(target, "w") as fh:
        fh.write("first")
    assert target.read_text() == "first"
    with pytest.raises(RuntimeError):
        with utils.atomic_write(target, "w") as fh:
            fh.write("second, half")
            raise RuntimeError("crash in the middle")
    assert target.read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_atomic_write_leaves_the_umask_alone_and_applies_it(tmp_path):
    import os
    import stat

    old = os.umask(0o027)
    try:
        with utils.atomic_write(tmp_path / "a.bin") as fh:
            fh.write(b"x")
        assert os.umask(0o027) == 0o027, "atomic_write changed the process umask"
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.bin").stat().st_mode) == 0o640  # 0o666 less the umask, as a plain open


def test_check_float_dtypes_names_the_odd_one():
    with pytest.raises(ValueError, match="b: expected dtype float64 like a, got float32"):
        utils.check_float_dtypes(a=np.zeros(2), b=np.zeros(2, np.float32))


def test_check_int():
    assert utils.check_int("n", np.int64(3), 1) == 3
    for bad in (0, 2.0, True, "3"):
        with pytest.raises(ValueError, match=r"n: expected an int >= 1, got"):
            utils.check_int("n", bad, 1)
