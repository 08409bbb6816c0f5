"""Seeding, device choice, source display, validation helpers and atomic writes."""

import importlib
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


def test_get_device_cpu_message_and_prefer():
    buf = io.StringIO()
    with redirect_stdout(buf):
        dev = utils.get_device()
    if not torch.cuda.is_available():
        assert dev.type in ("cpu", "mps")
    assert buf.getvalue().startswith(f"Using device '{dev.type}': ")
    assert utils.get_device("cpu", verbose=False).type == "cpu"
    with pytest.raises(ValueError, match="prefer: expected one of"):
        utils.get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="prefer: device 'cuda' was asked for but is not available"):
            utils.get_device("cuda")


def test_show_source_returns_highlightable_code():
    from lstm_helpers.numpy_lstm import forget_gate
    code = utils.show_source(forget_gate)
    assert code.data.startswith("def forget_gate(") and "sigmoid" in code.data
    assert "highlight" in code._repr_html_()
    part = utils.show_source(utils.set_seed, start="random.seed")
    assert part.data.lstrip().startswith("random.seed")
    with pytest.raises(ValueError, match="start: 'nope' does not occur"):
        utils.show_source(forget_gate, start="nope")
    with pytest.raises(ValueError, match="obj: expected a function"):
        utils.show_source(3)


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


def test_check_float_dtypes_names_the_odd_one():
    with pytest.raises(ValueError, match="b: expected dtype float64 like a, got float32"):
        utils.check_float_dtypes(a=np.zeros(2), b=np.zeros(2, np.float32))


def test_check_int():
    assert utils.check_int("n", np.int64(3), 1) == 3
    for bad in (0, 2.0, True, "3"):
        with pytest.raises(ValueError, match=r"n: expected an int >= 1, got"):
            utils.check_int("n", bad, 1)
