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
