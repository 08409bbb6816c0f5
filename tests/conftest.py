import contextlib
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "agg")


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(1234)


# ---------------------------------------------------------------------------------------------------
# Real-browser tests (tests/test_browser.py, tests/test_slides.py): Debian's Chromium driven by Playwright.

CHROMIUM = os.environ.get("LSTM_CHROMIUM") or next(
    (p for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")) if p and Path(p).exists()),
    "/usr/bin/chromium")
BROWSER_REQUIRED = os.environ.get("LSTM_REQUIRE_BROWSER", "") not in ("", "0")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def sync_playwright_or_skip():
    """Playwright's ``sync_playwright``, or a one-line skip (a failure under LSTM_REQUIRE_BROWSER=1) saying what is missing."""
    try:
        from playwright.sync_api import sync_playwright
        missing = None if Path(CHROMIUM).exists() else (
            f"no Chromium at {CHROMIUM}: install it (Debian/Ubuntu: sudo apt-get install chromium) "
            "or set LSTM_CHROMIUM=/path/to/chromium")
    except ImportError:
        missing = "the playwright package is missing: pip install playwright (it is in the test extra)"
    if missing:
        if BROWSER_REQUIRED:
            pytest.fail(f"LSTM_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(f"browser tests skipped, {missing}")
    return sync_playwright


# ---------------------------------------------------------------------------------------------------
# Torch tests: one thread (a busy two-core machine makes OpenMP threads wait on each other).

@pytest.fixture(scope="module")
def one_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ---------------------------------------------------------------------------------------------------
# A real JupyterLab for the server and browser tests: `make serve-lab` (what `make lab` runs), or any
# command line, on a free loopback port with a fresh token; stopped with its whole process group.

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process_group(proc) -> None:
    """Stop a process started with start_new_session=True and everything it started."""
    import signal
    import subprocess

    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def serve_lab(env: dict, log_path: Path, *, cmd=None, timeout_s: float = 90):
    """Start JupyterLab (`make serve-lab` unless ``cmd`` builds another command line from port and token),
    wait until /api/status answers, yield {"base", "token", "log"}, and stop it on the way out."""
    import secrets
    import subprocess
    import sys
    import time
    import urllib.request

    port, token = free_port(), secrets.token_hex(16)
    if cmd is None:
        argv = ["make", "-s", "serve-lab", f"PY={sys.executable}", f"LAB_PORT={port}", f"LAB_TOKEN={token}"]
    else:
        argv = cmd(port, token)
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"the lab server exited early:\n{log_path.read_text()}")
                try:
                    req = urllib.request.Request(f"{base}/api/status", headers={"Authorization": f"token {token}"})
                    urllib.request.urlopen(req, timeout=5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"no answer from the lab server in {timeout_s:.0f} s:\n{log_path.read_text()}")
                    time.sleep(0.3)
            yield {"base": base, "token": token, "log": log_path}
        finally:
            stop_process_group(proc)


def char_corpus(n_chars: int):
    """The first ``n_chars`` of the offline `pystdlib` corpus: (vocab, train_ids, val_ids) as torch tensors."""
    import torch

    from lstm_helpers.data import CharVocab, load_corpus, train_val_split

    text = load_corpus("pystdlib")[:n_chars]
    vocab = CharVocab(text)
    train_ids, val_ids = train_val_split(torch.from_numpy(vocab.encode(text)))
    return vocab, train_ids, val_ids


# ---------------------------------------------------------------------------------------------------
# JupyterLab pages shared by the browser and live-slide tests


def lab_api(lab, path, method="GET"):
    """Call the running JupyterLab's REST API (``lab`` as serve_lab yields it); returns the JSON, or None."""
    import json
    import urllib.request

    req = urllib.request.Request(f"{lab['base']}{path}", method=method,
                                 headers={"Authorization": f"token {lab['token']}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = resp.read()
    return json.loads(body) if body else None


def close_notebooks(page, tries=20):
    """Close every open notebook tab in a JupyterLab page, discarding its changes."""
    import re

    for _ in range(tries):
        tabs = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=".ipynb")
        if not tabs.count():
            return
        tabs.first.hover()
        tabs.first.locator(".lm-TabBar-tabCloseIcon").click()
        dialog = page.locator(".jp-Dialog")
        try:
            dialog.wait_for(timeout=2_000)
        except Exception:
            continue
        dialog.locator("button", has_text=re.compile("^(Discard|Don't Save|Close)$")).first.click()
        dialog.wait_for(state="detached", timeout=10_000)


def shutdown_kernels(lab):
    """Shut down every kernel session of the running JupyterLab."""
    for session in lab_api(lab, "/api/sessions"):
        lab_api(lab, f"/api/sessions/{session['id']}", method="DELETE")


def open_lab_page(browser, lab, **page_args):
    """A page on the running JupyterLab's file browser (notebooks/), collecting JS errors in ``page.js_errors``."""
    page = browser.new_page(**page_args)
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    page.goto(f"{lab['base']}/lab/tree/notebooks?reset&token={lab['token']}")
    page.locator(".jp-DirListing-item").first.wait_for(timeout=90_000)
    return page
