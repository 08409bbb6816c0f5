"""Small shared utilities: seeding, device choice, input validation and showing source code.

Nothing here runs on import; every effect (seeding, printing) happens only when you call it.
"""

from __future__ import annotations

import inspect
import os
import random
import secrets
from contextlib import contextmanager
from pathlib import Path

import numpy as np

QUICK_ENV = "LSTM_QUICK"

# The repository: the folder that holds ``lstm_helpers``. Notebooks name results/ and models/ from
# here, so the same code cell runs from notebooks/ and from notebooks/zh/.
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def quick_mode() -> bool:
    """True when the test run asked long experiments to shrink (``LSTM_QUICK=1``).

    ``make test`` sets it; learners never need to.
    """
    return os.environ.get(QUICK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def set_seed(seed: int = 0) -> np.random.Generator:
    """Seed Python's, numpy's and torch's global random generators with ``seed``.

    Returns a fresh ``numpy.random.Generator`` seeded with ``seed``, the preferred way to draw
    numbers in new code. Torch is imported here if needed, so the result never depends on
    whether the caller imported torch before (a notebook cell calls this once, at the top).
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"seed: expected an int, got {type(seed).__name__} {seed!r}")
    import torch

    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))
    return np.random.default_rng(int(seed))


def get_device(prefer: str | None = None, verbose: bool = False):
    """Pick the fastest available torch device: cuda, then mps, then cpu.

    With ``verbose=True`` it prints one line saying which device and why. ``prefer`` forces a
    device name ('cuda', 'mps' or 'cpu') and raises ``ValueError`` if it is not available.
    """
    import torch

    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if prefer is not None:
        available = {"cuda": cuda, "mps": mps, "cpu": True}
        if prefer not in available:
            raise ValueError(f"prefer: expected one of 'cuda', 'mps', 'cpu' or None, got {prefer!r}")
        if not available[prefer]:
            raise ValueError(f"prefer: device {prefer!r} was asked for but is not available here")
        name, why = prefer, "asked for explicitly"
    elif cuda:
        name, why = "cuda", f"CUDA GPU found: {torch.cuda.get_device_name(0)}"
    elif mps:
        name, why = "mps", "Apple-silicon GPU found (Metal Performance Shaders)"
    else:
        name, why = "cpu", "no CUDA or MPS GPU found, so everything runs on the CPU"
    if verbose:
        print(f"Using device '{name}': {why}.")
    return torch.device(name)


SOURCE_CSS_CLASS = "lstm-helpers-source"
"""The class of the box `show_source` draws; every style rule it ships is scoped to it."""


class SourceCode:
    """Source code for a notebook: highlighted HTML in a box of its own, plain text everywhere else.

    Its style sheet only styles elements inside the box (class `SOURCE_CSS_CLASS`), so showing
    source never changes the rest of the page; the box has its own light background and dark
    text, so it reads the same in JupyterLab's light and dark themes.
    """

    def __init__(self, source: str):
        self.source = source

    def __repr__(self):
        return self.source

    def _repr_html_(self):
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer

        scope = f".{SOURCE_CSS_CLASS}"
        fmt = HtmlFormatter(cssclass=SOURCE_CSS_CLASS, style="default")
        rules = [line for line in fmt.get_style_defs(scope).splitlines() if line.startswith(scope)]
        rules += [f"{scope} {{ background: #f8f8f8; color: #1f1f1f; border-radius: 4px; }}",
                  f"{scope} pre {{ background: transparent; color: inherit; line-height: 1.3; margin: 0; "
                  "padding: 0.5em 0.8em; overflow-x: auto; }"]
        return "<style>" + "\n".join(rules) + "</style>" + highlight(self.source, PythonLexer(), fmt)


def show_source(obj, *, start: str | None = None) -> SourceCode:
    """Display the real source of a package function or class, syntax-highlighted.

    In a notebook this renders as highlighted code; elsewhere it still has a plain-text form.
    ``start`` (optional) skips the source up to the first line containing that text, to show
    only the part being explained.
    """
    try:
        src = inspect.getsource(obj)
    except (TypeError, OSError) as exc:
        raise ValueError(f"obj: expected a function, class or module with Python source, got {obj!r}") from exc
    if start is not None:
        lines = src.splitlines(keepends=True)
        for k, line in enumerate(lines):
            if start in line:
                src = "".join(lines[k:])
                break
        else:
            raise ValueError(f"start: {start!r} does not occur in the source of {obj.__qualname__}")
    return SourceCode(src)


def _fmt_shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def check_array(name: str, arr, shape, dtype=None) -> np.ndarray:
    """Validate that ``arr`` is an ndarray of ``shape`` (ints or None for any size).

    Raises ``ValueError`` naming ``name``, the expected shape and the received one. Returns the
    array unchanged so it can be used inline.
    """
    if not isinstance(arr, np.ndarray):
        raise ValueError(f"{name}: expected a numpy array of shape {_fmt_shape(['*' if s is None else s for s in shape])}, "
                         f"got {type(arr).__name__}")
    want = tuple("*" if s is None else s for s in shape)
    if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
        raise ValueError(f"{name}: expected shape {_fmt_shape(want)}, got {_fmt_shape(arr.shape)}")
    if dtype is not None and arr.dtype != dtype:
        raise ValueError(f"{name}: expected dtype {np.dtype(dtype)}, got {arr.dtype} "
                         "(all arrays must share one float dtype)")
    return arr


def check_int(name: str, value, minimum: int) -> int:
    """Validate that ``value`` is an int (numpy ints too, bools not) of at least ``minimum``; return it."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value!r}")
    return int(value)


def check_float_dtypes(**arrays) -> np.dtype:
    """Check that all given arrays share one floating dtype (float32 or float64) and return it."""
    dtypes = {k: v.dtype for k, v in arrays.items() if v is not None}
    for k, dt in dtypes.items():
        if dt not in (np.float32, np.float64):
            raise ValueError(f"{k}: expected dtype float32 or float64, got {dt}")
    if len(set(dtypes.values())) > 1:
        listing = ", ".join(f"{k}={dt}" for k, dt in dtypes.items())
        first = next(iter(dtypes))
        odd = next(k for k, dt in dtypes.items() if dt != dtypes[first])
        raise ValueError(f"{odd}: expected dtype {dtypes[first]} like {first}, got {dtypes[odd]} "
                         f"(mixed dtypes: {listing})")
    return next(iter(dtypes.values()))


@contextmanager
def atomic_write(path, mode: str = "wb"):
    """Open a temporary file next to ``path`` and move it into place only if the block succeeds.

    A crash or exception inside the block leaves no half-written ``path`` behind. The temporary
    file is created with mode 0o666, so the system applies the umask as for any new file; the
    process-wide umask is never read or changed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:  # another writer picked the same name: draw again
            continue
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def check_environment(verbose: bool = True) -> list[dict]:
    """Compare every package this project needs (from its own metadata) with what is installed.

    Returns one row per package: name, required specifier, installed version (or None) and ok.
    With ``verbose``, prints one line saying everything is in order, or what is missing or too
    old and how to fix it.
    """
    from importlib import metadata

    from packaging.requirements import Requirement

    try:
        reqs = [Requirement(r) for r in metadata.requires("lstm-helpers") or []]
    except metadata.PackageNotFoundError:
        reqs = []
        if verbose:
            print("The package lstm_helpers is importable but not installed: run `pip install -e .` "
                  "in the repository (or `make lab`).")
    rows = []
    for req in reqs:
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # test-only extras
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            version = None
        ok = version is not None and req.specifier.contains(version, prereleases=True)
        rows.append({"name": req.name, "required": str(req.specifier) or "any", "installed": version, "ok": ok})
    bad = [r for r in rows if not r["ok"]]
    if verbose and rows:
        if bad:
            for r in bad:
                what = "is missing" if r["installed"] is None else f"is {r['installed']}, too old"
                print(f"PROBLEM: {r['name']} {what} (need {r['required']}).")
            print("Fix: from the repository folder run `make lab` (it creates .venv), or "
                  "`pip install -e .` in your own environment, then restart the kernel.")
        else:
            print(f"All {len(rows)} required packages are installed and recent enough.")
    return rows
