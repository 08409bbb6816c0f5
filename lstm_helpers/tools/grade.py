"""Grade submitted notebooks for marks: the series' own checkers run on each learner's functions, in parallel.

`python -m lstm_helpers.tools.grade alice/03_forget_gate.ipynb bob/03_forget_gate.ipynb --csv grades.csv`
prints a table and never modifies the submissions. `--bench 100 notebooks/03_forget_gate.ipynb` times it.

How one submission is graded. The exercises are the series' own: the course module's registered
solutions (worked examples left out) and, from the committed notebook, the name of each learner
function and the cells that define and check it. The submission's checker cells and outputs are never
read. For each exercise, a child process forked from the grader runs the learner's exercise cell and,
before it, only the statements of earlier cells that bind a name the cell uses (its imports, helpers
and data), found by reading the code. The grader then calls the reference checker from the installed
package in its own process on a stand-in for the learner's function: each call is forwarded to the
child, and only plain data (numbers, strings, arrays of numbers, tuples, lists, dicts) comes back.
Whatever a submission redefines, patches or prints, it does so in a child that holds nothing the grader
trusts. Each exercise has its own child and its own time limit, so a broken or endless cell costs only
the exercises that depend on it, and the report names that cell.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import csv
import io
import json
import os
import pickle
import re
import resource
import select
import signal
import socket
import struct
import symtable
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: lstm_helpers/tools/grade.py -> ../../..
NOTEBOOKS = ROOT / "notebooks"
EXERCISE_TIMEOUT = 30.0  # seconds for one exercise: running its cells and every call the checker makes
SUBMISSION_TIMEOUT = 120.0  # seconds for all exercises of one submission
CHILD_MEMORY = 4 * 2**30  # bytes a child may allocate beyond what it starts with
MAX_MESSAGE = 64 * 2**20  # bytes: the most one reply of a learner's function may carry back
STATUS_MARK = {"pass": "ok", "wrong": "wrong", "unfinished": "todo", "crash": "crash", "missing": "missing",
               "timeout": "time", "error": "error"}
CSV_FIELDS = ("submission", "notebook", "exercise", "passed", "status", "cell", "failed_cell", "detail")


# -------------------------------------------------------------------------------------------------
# The series' exercises

@dataclass(frozen=True)
class Exercise:
    """One graded exercise: its name, the learner's function name and the committed notebook's cell ids."""

    notebook: str  # "03"
    name: str  # the registered exercise name, "memory_after"
    function: str  # the name the notebook's checker cell passes, "memory_after" (05: "my_cell_update")
    code_cell: str  # id of the committed cell that defines the function
    check_cell: str  # id of the committed cell that calls the checker
    checker: str  # "check_memory_after", in lstm_helpers.course.nbNN


def committed_notebooks() -> dict:
    """Notebook number ("03") -> path of the committed English notebook."""
    return {p.name[:2]: p for p in sorted(NOTEBOOKS.glob("[01][0-9]_*.ipynb"))}


def _check_call(source: str):
    """(exercise name, argument name) of a cell's top-level ``check_NAME(arg)`` call, else None."""
    try:
        tree = ast.parse(_python_source(source))
    except SyntaxError:
        return None
    for node in tree.body:
        call = node.value if isinstance(node, ast.Expr) else None
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id.startswith("check_")
                and len(call.args) == 1 and isinstance(call.args[0], ast.Name)):
            return call.func.id[len("check_"):], call.args[0].id
    return None


@lru_cache(maxsize=None)
def series_exercises(number: str) -> tuple:
    """The graded exercises of notebook ``number`` ("03"), in notebook order, from the series itself.

    The exercise names come from the course module's ``@solution`` registry (worked examples left out);
    the learner's function name and cell ids from the committed notebook's checker cells. Raises
    ValueError for a notebook the series does not have.
    """
    import importlib

    from ..course import checking

    paths = committed_notebooks()
    if number not in paths:
        raise ValueError(f"notebook: expected one of {', '.join(paths)}, got {number!r}")
    module = importlib.import_module(f"lstm_helpers.course.nb{number}")
    names = {n for n, fn in checking.SOLUTIONS.items()
             if fn.__module__ == module.__name__ and n not in checking.WORKED_EXAMPLES}
    cells = [c for c in json.loads(paths[number].read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    found = []
    for k, cell in enumerate(cells):
        call = _check_call("".join(cell["source"]))
        if not call or call[0] not in names or any(e.name == call[0] for e in found):
            continue
        definers = [c for c in cells[:k] if call[1] in _cell_bindings("".join(c["source"]))]
        if not definers:
            raise RuntimeError(f"{paths[number].name}: no cell before {cell['id']} defines {call[1]}")
        found.append(Exercise(number, call[0], call[1], definers[-1]["id"], cell["id"], f"check_{call[0]}"))
    missing = names - {e.name for e in found}
    if missing:
        raise RuntimeError(f"{paths[number].name} has no checker cell for {sorted(missing)}")
    return tuple(found)


def gradable_numbers() -> list:
    """The notebook numbers that have graded exercises ("01" ... "11")."""
    return [nn for nn in committed_notebooks() if series_exercises(nn)]


# -------------------------------------------------------------------------------------------------
# Reading the learner's code: which statements bind and which names they read

@dataclass
class Cell:
    """A code cell of a submission: position, id, source, and its statements (None when it does not parse)."""

    index: int
    id: str
    source: str
    body: list | None
    syntax_error: str | None = None

    @property
    def where(self) -> str:
        return f"cell {self.index} (id {self.id})" if self.id else f"cell {self.index}"


def _python_source(source: str) -> str:
    """A cell's source as plain Python: IPython's magics and shell escapes become calls (IPython's own rules)."""
    if "%" not in source and "!" not in source and "?" not in source:
        return source
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # not even IPython can read it: parse the plain text and let the syntax error show
        return source


def read_cells(nb: dict) -> list:
    """The code cells of a notebook dict, parsed; a cell that does not parse keeps its syntax error."""
    cells = []
    for index, cell in enumerate(nb.get("cells", [])):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        cid = str(cell.get("id", ""))
        try:
            body, error = ast.parse(_python_source(source), filename=f"<cell {index}>").body, None
        except SyntaxError as exc:
            body, error = None, f"line {exc.lineno}: SyntaxError: {exc.msg}"
        cells.append(Cell(index, cid, source, body, error))
    return cells


def _bound_names(stmt) -> set:
    """Names a top-level statement binds (assignments, imports, defs, loop and with targets), not inside defs."""
    names = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    names.add((alias.asname or alias.name).split(".")[0])
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(stmt)
    return names


def _cell_bindings(source: str) -> set:
    try:
        return set().union(*(_bound_names(s) for s in ast.parse(_python_source(source)).body))
    except SyntaxError:
        return set()


def _mutated_names(stmt) -> set:
    """Names whose object a top-level statement changes in place (``x[...] = v``, ``x.a += v``), loops included."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
        return set()
    targets = []
    for node in ast.walk(stmt):
        if isinstance(node, ast.Assign):
            targets += [t for t in node.targets if isinstance(t, (ast.Subscript, ast.Attribute))]
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target,
                                                                            (ast.Subscript, ast.Attribute)):
            targets.append(node.target)
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _free_names(stmt) -> tuple:
    """(names read at the top level, names read from inside functions and classes) that the statement leaves free."""
    try:
        table = symtable.symtable(ast.unparse(stmt), "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError):
        return set(), set()
    now = {s.get_name() for s in table.get_symbols() if s.is_referenced()}
    later = set()
    stack = list(table.get_children())
    while stack:
        t = stack.pop()
        stack.extend(t.get_children())
        for s in t.get_symbols():
            if s.is_referenced() and (s.is_global() or (t.get_type() == "class" and not s.is_local())):
                later.add(s.get_name())
    skip = set(dir(builtins)) | {"__name__", "__file__", "display"}
    return now - skip, later - skip


def plan_statements(cells: list, target: Cell) -> list:
    """The statements to run before ``target``: each earlier statement that binds a name it (or another
    planned statement) reads, the latest such binding each time, and those that change such a name in
    place. Returns ``(cell, statement)`` pairs in notebook order; ``target`` itself is not included."""
    earlier = [(c, k, s) for c in cells if c.index < target.index and c.body for k, s in enumerate(c.body)]
    bindings = [(c.index, k, _bound_names(s)) for c, k, s in earlier]
    chosen, needed, queue = set(), {}, []  # needed: name -> position of its earliest planned binding

    def need(names, before):
        for name in names:
            hits = [(ci, k) for ci, k, bound in bindings if name in bound and (ci, k) < before]
            if hits:
                needed[name] = min(needed.get(name, hits[-1]), hits[-1])
                if hits[-1] not in chosen:
                    chosen.add(hits[-1])
                    queue.append(hits[-1])

    all_bound = set().union(set(), *map(_bound_names, target.body or []))
    bound_so_far = set()
    for stmt in target.body or []:
        now, later = _free_names(stmt)
        need(now - bound_so_far, (target.index, -1))  # read at once: only what the cell bound before counts
        need(later - all_bound, (target.index, -1))  # read when called: the whole cell has run by then
        bound_so_far |= _bound_names(stmt)
    by_pos = {(c.index, k): s for c, k, s in earlier}
    while True:
        while queue:
            pos = queue.pop()
            now, later = _free_names(by_pos[pos])
            need(now | later, pos)
        grew = False  # a statement that changes a needed object in place (W[0] = 1) belongs to it
        for (ci, k), stmt in by_pos.items():
            if (ci, k) not in chosen and any(needed.get(n, (ci, k)) < (ci, k) for n in _mutated_names(stmt)):
                chosen.add((ci, k))
                queue.append((ci, k))
                grew = True
        if not grew:
            break
    cell_of = {c.index: c for c in cells}
    return [(cell_of[ci], by_pos[ci, k]) for ci, k in sorted(chosen)]


def find_exercise_cell(cells: list, exercise: Exercise):
    """The submission's cell that defines the learner's function: the last one before its checker cell
    (found by the committed id or by its ``check_NAME(`` call; anywhere when the checker cell is gone)."""
    check_at = [c.index for c in cells if c.id == exercise.check_cell or
                (c.body is not None and (_check_call(c.source) or ("",))[0] == exercise.name)]
    limit = check_at[-1] if check_at else float("inf")
    defining = [c for c in cells if c.index < limit and (
        (c.body is not None and exercise.function in set().union(*map(_bound_names, c.body), set()))
        or (c.body is None and c.id == exercise.code_cell))]
    return defining[-1] if defining else None


# -------------------------------------------------------------------------------------------------
# The child: runs learner code, answers calls with plain data

class _Opaque:
    """A value the learner's function returned that is not plain data (shown by its type, never used)."""

    def __init__(self, type_name):
        self.type_name = str(type_name)[:80]

    def __repr__(self):
        return f"<{self.type_name} object>"


ARRAY_KINDS = "biufcUS"


def _encode(obj, depth=0):
    """Plain data as nested tuples of builtins only: what may cross from the child to the grader."""
    import numpy as np

    if depth > 30:
        return ("x", "nested too deep")
    if obj is None or type(obj) in (bool, int, float, complex, str, bytes):
        return ("v", obj)
    if type(obj) in (tuple, list):
        return ("t" if type(obj) is tuple else "l", [_encode(v, depth + 1) for v in obj])
    if type(obj) is dict:
        return ("d", [(_encode(k, depth + 1), _encode(v, depth + 1)) for k, v in obj.items()])
    if hasattr(obj, "detach") and hasattr(obj, "numpy"):  # a torch tensor
        obj = obj.detach().cpu().numpy()
    try:
        arr = np.asarray(obj)
    except Exception:
        return ("x", type(obj).__name__)
    if arr.dtype.kind not in ARRAY_KINDS or arr.dtype.hasobject:
        return ("x", type(obj).__name__)
    return ("a", arr.dtype.str, tuple(int(n) for n in arr.shape), arr.tobytes(order="C"),
            isinstance(obj, np.generic))  # a numpy scalar comes back as one


def _decode(tree):
    """The inverse of `_encode`, trusting nothing: only builtins and numpy arrays of the allowed kinds."""
    import numpy as np

    tag = tree[0]
    if tag == "v":
        if tree[1] is not None and type(tree[1]) not in (bool, int, float, complex, str, bytes):
            raise ValueError("not plain data")
        return tree[1]
    if tag in ("t", "l"):
        items = [_decode(v) for v in tree[1]]
        return tuple(items) if tag == "t" else items
    if tag == "d":
        return {_decode(k): _decode(v) for k, v in tree[1]}
    if tag == "a":
        dtype, shape, data = np.dtype(str(tree[1])), tuple(int(n) for n in tree[2]), bytes(tree[3])
        if dtype.kind not in ARRAY_KINDS or dtype.hasobject or dtype.itemsize * int(np.prod(shape)) != len(data):
            raise ValueError("not an array of plain values")
        arr = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
        return arr[()] if len(tree) > 4 and tree[4] is True and shape == () else arr
    if tag == "x":
        return _Opaque(tree[1])
    raise ValueError(f"unknown tag {tag!r}")


class _DataOnly(pickle.Unpickler):
    """Unpickles builtins only: a reply from a child can never name a function to call."""

    def find_class(self, module, name):
        if (module, name) == ("builtins", "complex"):
            return complex
        raise pickle.UnpicklingError(f"refused {module}.{name}")


def _send(sock, obj):
    data = pickle.dumps(obj, protocol=4)
    sock.sendall(struct.pack("<Q", len(data)) + data)


def _recv_exact(sock, n, deadline):
    parts, got = [], 0
    while got < n:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise _Timeout()
        if left is not None and not select.select([sock], [], [], left)[0]:
            raise _Timeout()
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise _ChildGone()
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _recv(sock, deadline=None, trusted=False):
    (n,) = struct.unpack("<Q", _recv_exact(sock, 8, deadline))
    if n > MAX_MESSAGE:
        raise _ChildGone()
    data = _recv_exact(sock, n, deadline)
    if trusted:
        return pickle.loads(data)
    try:
        return _DataOnly(io.BytesIO(data)).load()
    except Exception as exc:
        raise _ChildGone() from exc


def _where(exc, cells) -> tuple:
    """Where an exception came from: (cell index, line) of its last frame in a cell (None, 0 if none), and
    (line number, line text) of its very last frame, which is what `checking.crashed` quotes."""
    frames = traceback.extract_tb(exc.__traceback__)
    in_cells = [(int(m.group(1)), f.lineno or 0) for f in frames if (m := re.fullmatch(r"<cell (\d+)>", f.filename))]
    index, line = in_cells[-1] if in_cells else (None, 0)
    if not frames:
        return index, line, 0, ""
    last = frames[-1]
    text = (last.line or "").strip()
    if re.fullmatch(r"<cell (\d+)>", last.filename):  # linecache does not know cells: read the source
        lines = next((c.source for c in cells if c.index == index), "").splitlines()
        text = lines[last.lineno - 1].strip() if 0 < last.lineno <= len(lines) else ""
    return index, line, last.lineno or 0, text


def _one_line(exc) -> str:
    lines = [ln for ln in str(exc).splitlines() if ln.strip()]
    return f"{type(exc).__name__}: {lines[0][:200] if lines else ''}".rstrip(": ")


def _child(sock, other, cells, plan, target, function):
    """In the forked child: run the planned statements and the exercise cell, then answer calls. Never returns."""
    try:
        other.close()
        os.setsid()  # its own session and process group: a learner's kill(0, ...) reaches only the child
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        keep = sock.fileno()
        os.closerange(3, keep)  # the grader's own pipes stay out of the learner's reach
        os.closerange(keep + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.environ["MPLBACKEND"] = "agg"
        with contextlib.suppress(OSError, ValueError):  # a learner's runaway allocation fails in the child alone
            size = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            resource.setrlimit(resource.RLIMIT_AS, (size + CHILD_MEMORY, resource.RLIM_INFINITY))
        if "torch" in sys.modules:  # one thread: the pool already fills the cores
            sys.modules["torch"].set_num_threads(1)
        ns = {"__name__": "__main__", "__builtins__": builtins, "display": lambda *a, **k: None}
        failures = []
        steps = [(c, s) for c, s in plan] + [(target, s) for s in target.body]
        for cell, stmt in steps:
            _send(sock, ("start", cell.index))
            try:
                exec(compile(ast.Module(body=[stmt], type_ignores=[]), f"<cell {cell.index}>", "exec"), ns)
            except BaseException as exc:  # the learner's error is data here: record it and go on
                index, line, _, _ = _where(exc, cells)
                failures.append((cell.index if index is None else index, line, _one_line(exc)))
        fn = ns.get(function)
        _send(sock, ("ready", failures, callable(fn)))
        while True:
            try:
                args, kwargs = _recv(sock, trusted=True)
            except _ChildGone:
                break
            try:
                out = fn(*args, **kwargs)
                after = [_encode(a) if hasattr(a, "shape") else None for a in args]
                reply = ("ok", _encode(out), after)
            except BaseException as exc:
                lines = [ln for ln in str(exc).splitlines() if ln.strip()]
                reply = ("raise", type(exc).__name__, (lines[0] if lines else "")[:300], *_where(exc, cells))
            _send(sock, reply)
    finally:
        os._exit(0)


# -------------------------------------------------------------------------------------------------
# The grader's side: a stand-in for the learner's function

class _Timeout(BaseException):
    """The child ran past its time limit (a BaseException, so no checker's `except Exception` hides it)."""


class _ChildGone(BaseException):
    """The child ended, or answered with something that is not plain data."""


def _learner_exception(type_name, message, line, text, filename):
    """An exception that `checking.crashed` reports as it would the learner's own: type, message, line."""
    import linecache

    kind = getattr(builtins, type_name, None)
    if not (isinstance(kind, type) and issubclass(kind, Exception)):
        kind = type(type_name if type_name.isidentifier() else "Error", (Exception,), {})
    try:
        exc = kind(message)
    except Exception:
        exc = type(type_name if type_name.isidentifier() else "Error", (Exception,), {})(message)
    line = max(int(line), 1)
    linecache.cache[filename] = (len(text), None, ["\n"] * (line - 1) + [text + "\n"], filename)
    try:  # a traceback whose last frame is the learner's line, so the message quotes it (until `_forget_lines`)
        exec(compile("\n" * (line - 1) + "raise __exc", filename, "exec"), {"__exc": exc})
    except Exception as raised:
        return raised
    return exc


def _forget_lines():
    """Drop the learner's lines that `_learner_exception` lent to linecache."""
    import linecache

    for name in [n for n in linecache.cache if n.startswith("<submission cell ")]:
        linecache.cache.pop(name, None)


class _Remote:
    """Calls the learner's function in the child: arrays go there, plain data comes back, in-place changes too."""

    def __init__(self, sock, name, deadline):
        self.sock, self.__name__, self.deadline = sock, name, deadline
        self.crash = None  # (cell index, line, "Type: message") of the last exception the function raised

    def __call__(self, *args, **kwargs):
        import numpy as np

        try:
            _send(self.sock, (args, kwargs))
        except OSError:
            raise _ChildGone() from None
        reply = _recv(self.sock, self.deadline)
        if not isinstance(reply, tuple) or not reply:
            raise _ChildGone()
        if reply[0] == "ok" and len(reply) == 3:
            try:
                for given, back in zip(args, list(reply[2])):
                    if isinstance(given, np.ndarray) and back is not None and given.flags.writeable:
                        back = _decode(back)
                        if isinstance(back, np.ndarray) and back.shape == given.shape:
                            np.copyto(given, back, casting="unsafe")  # the learner changed its input in place
                return _decode(reply[1])
            except Exception:
                raise _ChildGone() from None
        if reply[0] == "raise" and len(reply) == 7:
            type_name, message, index, line, last_line, text = (str(reply[1]), str(reply[2]), *reply[3:6],
                                                                 str(reply[6]))
            index, line, last_line = (v if type(v) is int else None for v in (index, line, last_line))
            self.crash = (index, line or 0, f"{type_name}: {message}".rstrip(": "))
            if type_name == "NotImplementedError":
                raise NotImplementedError(message)
            raise _learner_exception(type_name, message, last_line or 1, text, f"<submission cell {index}>")
        raise _ChildGone()


def _row(exercise, status, *, cell=None, failed="", detail=""):
    return {"notebook": exercise.notebook, "exercise": exercise.name, "passed": status == "pass",
            "status": status, "cell": cell.where if cell else "", "failed_cell": failed, "detail": detail}


def _clean_failure(f) -> tuple:
    """(cell index, line, "Type: message") from the child, with anything else replaced by blanks."""
    index, line, what = (tuple(f) + (None, None, None))[:3] if isinstance(f, (tuple, list)) else (None, None, None)
    return (index if type(index) is int else -1, line if type(line) is int else 0, str(what)[:300])


def _failed_at(cells, index, line, what) -> str:
    cell = next((c for c in cells if c.index == index), None)
    place = cell.where if cell else f"cell {index}"
    return f"{place}, line {line}: {what}" if line else f"{place}: {what}"


def grade_exercise(cells: list, exercise: Exercise, *, timeout: float = EXERCISE_TIMEOUT) -> dict:
    """Grade one exercise of a parsed submission: the reference checker on the learner's function, run in a child.

    Returns a row: ``exercise``, ``passed``, ``status`` (pass, wrong, unfinished, crash, missing, timeout,
    error), ``cell`` (the learner's exercise cell), ``failed_cell`` (the cell, line and exception that
    failed, if one did) and ``detail`` (the checker's message or why there is none).
    """
    import importlib

    target = find_exercise_cell(cells, exercise)
    if target is None:
        return _row(exercise, "missing", detail=f"no cell defines `{exercise.function}` (the exercise cell, "
                                                f"id {exercise.code_cell} in the series)")
    if target.body is None:
        return _row(exercise, "error", cell=target, failed=f"{target.where}, {target.syntax_error}",
                    detail="the exercise cell does not parse")
    checker = getattr(importlib.import_module(f"lstm_helpers.course.nb{exercise.notebook}"), exercise.checker)
    plan = plan_statements(cells, target)
    deadline = time.monotonic() + timeout
    parent, child = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child ends with os._exit; coverage never sees it)
        _child(child, parent, cells, plan, target, exercise.function)
    child.close()
    running = target.index
    try:
        while True:
            msg = _recv(parent, deadline)
            if isinstance(msg, tuple) and msg and msg[0] == "start" and isinstance(msg[1], int):
                running = msg[1]
                continue
            if not (isinstance(msg, tuple) and len(msg) == 3 and msg[0] == "ready"):
                raise _ChildGone()
            break
        failures = msg[1][:20] if isinstance(msg[1], list) else []
        failed = "; ".join(_failed_at(cells, *_clean_failure(f)) for f in failures)
        if not msg[2]:
            return _row(exercise, "error", cell=target, failed=failed,
                        detail=f"`{exercise.function}` is not a function after running the exercise cell")
        remote = _Remote(parent, exercise.function, deadline)
        result = checker(remote)
        status = ("pass" if result.passed else "unfinished" if result.mistake == "unfinished"
                  else "crash" if result.mistake == "crash" else "wrong")
        if status == "crash" and remote.crash and remote.crash[0] is not None:
            failed = "; ".join(filter(None, [failed, _failed_at(cells, *remote.crash)]))
        return _row(exercise, status, cell=target, failed="" if status == "pass" else failed,
                    detail=str(result.message))
    except _Timeout:
        where = next((c for c in cells if c.index == running), target)
        return _row(exercise, "timeout", cell=target, failed=f"{where.where}: still running after {timeout:g} s",
                    detail=f"time limit of {timeout:g} s reached")
    except _ChildGone:
        return _row(exercise, "error", cell=target, detail="the learner's code ended its process or sent "
                                                           "something other than plain data")
    finally:
        _forget_lines()
        parent.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # the child's session: anything the learner's code started too
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def grade_submission(path, number: str, *, timeout: float = SUBMISSION_TIMEOUT,
                     exercise_timeout: float = EXERCISE_TIMEOUT) -> list:
    """Rows (one per exercise of notebook ``number``) for the submission at ``path``; the file is only read.

    Every exercise gets its own child and at most ``exercise_timeout`` seconds; all of them together at
    most ``timeout``: exercises left when it runs out get the status ``timeout``.
    """
    _warm()
    exercises = series_exercises(number)
    cells = read_cells(json.loads(Path(path).read_text(encoding="utf-8")))
    end = time.monotonic() + timeout
    rows = []
    for exercise in exercises:
        left = end - time.monotonic()
        if left <= 0:
            rows.append(_row(exercise, "timeout", detail=f"the submission's time limit of {timeout:g} s was reached"))
            continue
        rows.append(grade_exercise(cells, exercise, timeout=min(exercise_timeout, left)))
    for row in rows:
        row["submission"] = str(path)
    return rows


# -------------------------------------------------------------------------------------------------
# Checking the arguments before any work

class InputError(ValueError):
    """A bad argument, said in one line: the argument, what was expected, what came."""


def notebook_number(path, notebook: str | None = None) -> str:
    """The series number a submission belongs to: ``notebook`` if given, else from the file name
    (a committed notebook's name in it, e.g. ``alice_03_forget_gate.ipynb``, or a leading ``NN_``)."""
    numbers = gradable_numbers()
    if notebook is not None:
        nn = str(notebook).zfill(2)
        if nn not in numbers:
            raise InputError(f"--notebook: expected the number of a notebook with exercises "
                             f"({', '.join(numbers)}), got {notebook!r}")
        return nn
    name = Path(path).name
    for nn, committed in committed_notebooks().items():
        if committed.stem in name:
            break
    else:
        m = re.match(r"(\d\d)(?:_|\.ipynb$)", name)
        if not m:
            raise InputError(f"{path}: expected a file name that says the notebook (e.g. 03_forget_gate.ipynb) "
                             f"or --notebook NN, got {name!r}")
        nn = m.group(1)
    if nn not in numbers:
        raise InputError(f"{path}: expected a submission of a notebook with exercises ({', '.join(numbers)}), "
                         f"got notebook {nn}")
    return nn


def check_submission_file(path) -> None:
    """Raise InputError unless ``path`` is an existing Jupyter notebook (a JSON object with a list of cells)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: expected an existing .ipynb file, got no such file")
    if not p.is_file():
        raise InputError(f"{path}: expected an .ipynb file, got a folder")
    try:
        nb = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: expected a Jupyter notebook (JSON), got a file that is not JSON "
                         f"({type(exc).__name__} at byte {getattr(exc, 'pos', getattr(exc, 'start', '?'))})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise InputError(f"{path}: expected a Jupyter notebook (a JSON object with a 'cells' list), "
                         f"got JSON {type(nb).__name__} without one")


def resolve_inputs(paths, notebook: str | None = None) -> list:
    """(path, notebook number) for every submission; raises InputError on the first bad one."""
    if not paths:
        raise InputError("notebooks: expected at least one submitted .ipynb file, got none")
    jobs = []
    for path in paths:
        check_submission_file(path)
        jobs.append((str(path), notebook_number(path, notebook)))
    return jobs


# -------------------------------------------------------------------------------------------------
# Many submissions: a process pool

def _warm():
    """Import what checkers and learners use once, so forked workers and children start with it loaded."""
    from ..course import checking

    checking._load_all()
    with contextlib.suppress(ImportError):
        import torch  # noqa: F401


def _worker_init():
    with contextlib.suppress(ImportError):
        import torch
        torch.set_num_threads(1)


def _grade_job(job):
    path, number, timeout, exercise_timeout = job
    try:
        return grade_submission(path, number, timeout=timeout, exercise_timeout=exercise_timeout)
    except Exception as exc:  # a grader fault: every exercise of that submission says so, the others go on
        return [dict(_row(e, "error", detail=f"grader error: {_one_line(exc)}"), submission=path)
                for e in series_exercises(number)]


def grade_all(jobs_in, *, jobs: int | None = None, timeout: float = SUBMISSION_TIMEOUT,
              exercise_timeout: float = EXERCISE_TIMEOUT) -> list:
    """Grade every ``(path, notebook number)`` pair with ``jobs`` worker processes (default: CPU count).

    Returns the rows of all submissions, in the order given. ``jobs=1`` grades in this process (the
    learner's code still runs only in children).
    """
    work = [(str(p), nn, timeout, exercise_timeout) for p, nn in jobs_in]
    jobs = jobs or os.cpu_count() or 1
    _warm()
    if jobs == 1 or len(work) == 1:
        return [row for job in work for row in _grade_job(job)]
    results = _pooled(work, jobs)
    lost = [k for k in range(len(work)) if k not in results]
    for k in lost:  # a worker died (a learner's code killed it): the rest again, each in a pool of its own
        results.update({k: rows for rows in _pooled([work[k]], 1).values()})
        if k not in results:
            path, number = work[k][:2]
            results[k] = [dict(_row(e, "error", detail="the grader's worker process was killed while grading "
                                                        "this submission"), submission=path)
                          for e in series_exercises(number)]
    return [row for k in range(len(work)) for row in results[k]]


def _pooled(work, jobs) -> dict:
    """{index: rows} for the jobs a process pool finished; the others are missing when a worker died."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    done = {}
    with ProcessPoolExecutor(max_workers=min(jobs, len(work)), mp_context=multiprocessing.get_context("fork"),
                             initializer=_worker_init) as pool:
        futures = {pool.submit(_grade_job, job): k for k, job in enumerate(work)}
        for future, k in futures.items():
            with contextlib.suppress(BrokenProcessPool):
                done[k] = future.result()
    return done


# -------------------------------------------------------------------------------------------------
# Output: a terminal table and CSV

def short_names(paths) -> dict:
    """Path -> its shortest tail that no other path shares (``alice/03_forget_gate.ipynb`` beside ``bob/...``)."""
    paths = list(dict.fromkeys(str(p) for p in paths))
    parts = {p: Path(p).parts for p in paths}
    short = {}
    for p in paths:
        for k in range(1, len(parts[p]) + 1):
            tail = parts[p][-k:]
            if sum(parts[q][-k:] == tail for q in paths) == 1 or k == len(parts[p]):
                short[p] = str(Path(*tail))
                break
    return short


def table(rows) -> str:
    """A plain text table per notebook: one line per submission, one column per exercise, the problems below."""
    out = []
    by_notebook = {}
    for r in rows:
        by_notebook.setdefault(r["notebook"], {}).setdefault(r["submission"], []).append(r)
    short = short_names(r["submission"] for r in rows)
    for nn, subs in by_notebook.items():
        names = [e.name for e in series_exercises(nn)]
        width = max([len(short[s]) for s in subs] + [10])
        if out:
            out.append("")
        out.append(f"notebook {nn}: {len(names)} exercises ({', '.join(names)})")
        cols = [max(len(n), 7) for n in names]
        out.append(f"{'submission':{width}s}  {'passed':>7s}  " + "  ".join(f"{n:{w}s}" for n, w in zip(names, cols)))
        problems = []
        for sub, srows in subs.items():
            marks = {r["exercise"]: r for r in srows}
            passed = sum(r["passed"] for r in srows)
            out.append(f"{short[sub]:{width}s}  {passed:>3d} / {len(names):<2d} " + "  ".join(
                f"{STATUS_MARK[marks[n]['status']] if n in marks else '?':{w}s}" for n, w in zip(names, cols)).rstrip())
            for n in names:
                r = marks.get(n)
                if r and not r["passed"]:
                    why = r["failed_cell"] or r["cell"]
                    problems.append(f"  {short[sub]} / {n}: {_plain(r['detail'])}" + (f" [{why}]" if why else ""))
        if problems:
            out.append("not passed:")
            out.extend(problems)
    if out:
        out += ["", "ok passed, wrong a wrong result, todo not written yet, crash raised an exception, "
                    "missing no cell defines it, time over the time limit, error did not run"]
    return "\n".join(out)


def _plain(message: str, limit: int = 160) -> str:
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def csv_text(rows) -> str:
    """The rows as CSV, one line per submission and exercise (columns: `CSV_FIELDS`)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_FIELDS)
    for r in rows:
        w.writerow([r["submission"], r["notebook"], r["exercise"], int(r["passed"]), r["status"], r["cell"],
                    r["failed_cell"], " ".join(str(r["detail"]).split())])
    return buf.getvalue()


def write_csv(rows, path) -> None:
    """Write `csv_text` to ``path`` atomically (a temporary name in the same folder, then renamed)."""
    from ..utils import atomic_write

    with atomic_write(Path(path), "w") as fh:
        fh.write(csv_text(rows))


# -------------------------------------------------------------------------------------------------
# Benchmark

def _solved_copy(nb: dict, number: str) -> dict:
    """The notebook with every exercise cell replaced by a call of the reference solution."""
    nb = json.loads(json.dumps(nb))
    for e in series_exercises(number):
        for cell in nb["cells"]:
            if cell.get("id") == e.code_cell:
                cell["source"] = (f"from lstm_helpers.course.nb{number} import {e.name} as _reference\n\n\n"
                                  f"def {e.function}(*args, **kwargs):\n    return _reference(*args, **kwargs)\n")
    return nb


def bench(n: int, notebook, *, jobs: int | None = None) -> str:
    """Grade ``n`` copies of a committed notebook (every other one solved) with 1 and ``jobs`` workers; a table."""
    path = Path(notebook)
    number = notebook_number(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    solved = _solved_copy(nb, number)
    jobs = jobs or os.cpu_count() or 1
    n_ex = len(series_exercises(number))
    lines = [f"grade benchmark: notebook {number} ({path.name}), {n} submissions of {n_ex} exercises "
             f"(every other one solved), {os.cpu_count()} CPUs",
             f"{'jobs':>4s}  {'submissions':>11s}  {'wall s':>7s}  {'s / submission':>14s}  "
             f"{'100 submissions, s':>18s}  {'as expected':>11s}"]
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k in range(n):
            p = Path(tmp) / f"student{k:03d}_{path.name}"
            p.write_text(json.dumps(solved if k % 2 == 0 else nb), encoding="utf-8")
            paths.append((str(p), number))
        _warm()
        for j in sorted({1, jobs}):
            t0 = time.perf_counter()
            rows = grade_all(paths, jobs=j)
            wall = time.perf_counter() - t0
            ok = all(r["passed"] == (int(Path(r["submission"]).name[7:10]) % 2 == 0) for r in rows)
            lines.append(f"{j:>4d}  {n:>11d}  {wall:>7.1f}  {wall / n:>14.3f}  {100 * wall / n:>18.1f}  "
                         f"{'yes' if ok else 'NO':>11s}")
    return "\n".join(lines)


# -------------------------------------------------------------------------------------------------
# The command

def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}")
        return value
    return parse


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_helpers.tools.grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="submitted .ipynb files (only read); with --bench, one "
                                                     "committed notebook")
    parser.add_argument("--notebook", help="the series number of every submission (default: from each file name)")
    parser.add_argument("--csv", help="also write one row per submission and exercise to this CSV file (atomically)")
    parser.add_argument("--jobs", type=_positive(int), default=None,
                        help=f"worker processes (default: the CPU count, {os.cpu_count()})")
    parser.add_argument("--timeout", type=_positive(float), default=SUBMISSION_TIMEOUT,
                        help=f"seconds for one submission, all exercises (default {SUBMISSION_TIMEOUT:g})")
    parser.add_argument("--exercise-timeout", type=_positive(float), default=EXERCISE_TIMEOUT,
                        help=f"seconds for one exercise (default {EXERCISE_TIMEOUT:g})")
    parser.add_argument("--bench", type=_positive(int), metavar="N",
                        help="time grading N copies of the committed notebook given, and print a table")
    args = parser.parse_args(argv)
    try:
        if args.bench:
            if len(args.notebooks) != 1:
                raise InputError(f"--bench: expected one committed notebook, got {len(args.notebooks)} paths")
            check_submission_file(args.notebooks[0])
            notebook_number(args.notebooks[0])
            print(bench(args.bench, args.notebooks[0], jobs=args.jobs))
            return 0
        jobs_in = resolve_inputs(args.notebooks, args.notebook)
        if args.csv and not Path(args.csv).resolve().parent.is_dir():
            raise InputError(f"--csv: expected a file in an existing folder, got {args.csv!r}")
    except InputError as exc:
        print(f"grade: error: {exc}", file=sys.stderr)
        return 2
    rows = grade_all(jobs_in, jobs=args.jobs, timeout=args.timeout, exercise_timeout=args.exercise_timeout)
    print(table(rows))
    if args.csv:
        write_csv(rows, args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
