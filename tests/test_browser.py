"""The series in a real browser: JupyterLab as `make lab` serves it, driven by Playwright in Chromium.

Each notebook 00-08 is opened, its outputs cleared, Run All chosen from the menu; then no cell may
show an error or stderr, and every widget control (slider, dropdown, play ...) must redraw the figure
next to it. One notebook runs in the dark theme. Needs Chromium: without it the tests are skipped
(set LSTM_REQUIRE_BROWSER=1 to make that a failure, as CI does). Screenshots of failures are kept in
the folder the test prints (LSTM_BROWSER_ARTIFACTS, or a temporary folder).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from conftest import (CHROMIUM, CHROMIUM_ARGS, close_notebooks, open_lab_page, serve_lab, shutdown_kernels,
                      sync_playwright_or_skip)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("0[0-8]_*.ipynb"))
DARK = NOTEBOOKS[-1] if NOTEBOOKS else None  # run last: the theme is a user setting and would stay
RUN_ALL_S = 240      # one notebook, Run All to idle
REDRAW_S = 30        # one control, operated to figure changed
# Settings of this test's own (fresh) user: never write the notebooks back, keep every cell in the page.
TEST_USER_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "kernelShutdown": True},
}
# Chosen in the page, in order: Run All from the menu, then wait until every code cell has run.
JS_STATE = """() => {
  const panel = [...document.querySelectorAll('.jp-NotebookPanel')].find(p => !p.classList.contains('lm-mod-hidden'));
  if (!panel) return {ready: false};
  const status = [...document.querySelectorAll('.jp-StatusBar-TextItem')].map(e => e.textContent).join(' | ');
  const cells = [...panel.querySelectorAll('.jp-CodeCell')].map(c => ({
      prompt: (c.querySelector('.jp-InputPrompt') || {}).textContent || '',
      empty: !((c.querySelector('.cm-content') || {}).textContent || '').trim()}));
  return {ready: true, status, cells,
          stderr: [...panel.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')]
                    .map(e => e.textContent.slice(0, 300))};
}"""




def _digest():
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "notebooks").glob("*.ipynb")}


@pytest.fixture(scope="module")
def artifacts():
    folder = Path(os.environ.get("LSTM_BROWSER_ARTIFACTS") or tempfile.mkdtemp(prefix="lstm-browser-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser test screenshots of failures go to {folder}")
    return folder


@pytest.fixture(scope="module")
def browser():
    sync_playwright = sync_playwright_or_skip()
    with tempfile.TemporaryDirectory(prefix="lstm-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make serve-lab` (what `make lab` runs) on a free port with a fresh token and a fresh user."""
    home = tmp_path_factory.mktemp("lab")
    for rel, value in TEST_USER_SETTINGS.items():
        (home / "settings" / rel).parent.mkdir(parents=True, exist_ok=True)
        (home / "settings" / rel).write_text(json.dumps(value))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}  # as a learner has it
    env.update(JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), LSTM_QUICK="1")
    before = _digest()
    with serve_lab(env, home / "lab.log") as lab:
        yield lab
    assert _digest() == before, "the browser session wrote to the committed notebooks"


def _menu(page, *labels):
    """Choose labels[0] in the menu bar, then each next label in the (sub)menu that opens."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(labels[0])}$")).click()
    for label in labels[1:]:
        page.locator(".lm-Menu:visible .lm-Menu-itemLabel",
                     has_text=re.compile(f"^{re.escape(label)}$")).last.click()


def _wait(page, predicate, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(JS_STATE)
        if state.get("ready") and predicate(state):
            return state
        page.wait_for_timeout(250)
    raise AssertionError(f"{what}: not reached within {timeout_s} s; last page state: "
                         f"{json.dumps(state)[:1500]}")


def _idle(state):
    return "Idle" in state["status"] and "Busy" not in state["status"]


@pytest.fixture(scope="module")
def page(browser, lab):
    """One page for all notebooks: JupyterLab loads once, each notebook is opened from its file browser."""
    page = open_lab_page(browser, lab)
    yield page
    page.close()


def _open(page, lab, name):
    close_notebooks(page)
    shutdown_kernels(lab)
    item = page.locator(".jp-DirListing-item", has=page.locator(".jp-DirListing-itemText", has_text=re.compile(
        f"^{re.escape(name)}$")))
    item.dblclick()
    _wait(page, lambda s: s["cells"] and _idle(s), 90, f"{name}: opened, kernel started and idle")


def _run_all(page, name):
    _menu(page, "Edit", "Clear Outputs of All Cells")
    _wait(page, lambda s: not any(re.search(r"\d", c["prompt"]) for c in s["cells"]), 20, f"{name}: outputs cleared")
    _menu(page, "Run", "Run All Cells")

    def done(s):  # every cell ran, or one failed (Run All then stops and leaves the rest unrun)
        return _idle(s) and (bool(s["stderr"]) or all(c["empty"] or re.search(r"\[\d+\]", c["prompt"])
                                                      for c in s["cells"]))

    return _wait(page, done, RUN_ALL_S, f"{name}: Run All finished")


# One widget view = one output of a cell that holds widget controls. Controls are found by their
# ipywidgets classes, so the test does not depend on what a notebook draws.
CONTROL_SELECTOR = (".widget-slider, .widget-dropdown, .widget-play, .widget-checkbox, "
                    ".widget-toggle-buttons, .widget-radio, .widget-text, .widget-inline-hbox.widget-text")


def _images(view):
    return view.locator("img").evaluate_all("els => els.map(e => e.src)")


def _operate(page, control):
    """Change the value of one control the way a learner would; returns what was done."""
    classes = control.get_attribute("class") or ""
    control.scroll_into_view_if_needed()
    if "widget-play" in classes:
        control.locator("button").first.click()  # the play button
        return "pressed play"
    if "widget-dropdown" in classes:
        select = control.locator("select")
        options = select.locator("option").evaluate_all("els => els.map(e => e.value)")
        current = select.input_value()
        other = next(v for v in options if v != current)
        select.select_option(other)
        return f"dropdown {current!r} -> {other!r}"
    if "widget-slider" in classes:
        handle = control.locator(".noUi-handle").first
        track = control.locator(".noUi-target").first
        hb, tb = handle.bounding_box(), track.bounding_box()
        x0, y0 = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
        x1 = tb["x"] + tb["width"] * (0.8 if x0 < tb["x"] + tb["width"] / 2 else 0.2)
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(x1, y0, steps=8)
        page.mouse.up()
        return "slider dragged"
    if "widget-checkbox" in classes:
        control.locator("input").click()
        return "checkbox toggled"
    if "widget-toggle-buttons" in classes:
        control.locator("button:not(.mod-active)").first.click()
        return "toggle button chosen"
    if "widget-radio" in classes:
        control.locator("input:not(:checked)").first.click()
        return "radio button chosen"
    raise AssertionError(f"no way to operate a control with classes {classes!r}: teach tests/test_browser.py")


def _widget_outputs(name):
    """How many cells of the committed notebook show a widget (so a selector that finds nothing fails)."""
    nb = json.loads((ROOT / "notebooks" / name).read_text())
    return sum(any("application/vnd.jupyter.widget-view+json" in out.get("data", {})
                   for out in cell.get("outputs", [])) for cell in nb["cells"])


def _check_widgets(page, name, shots):
    # The scope of a control is its cell's whole output area: the figure may sit inside the widget
    # view or be a static picture just before it (redrawn figures then appear below the controls).
    views = page.locator(".jp-CodeCell .jp-OutputArea").filter(has=page.locator(CONTROL_SELECTOR))
    problems, operated = [], []
    for v in range(views.count()):
        view = views.nth(v)
        controls = view.locator(CONTROL_SELECTOR)
        for k in range(controls.count()):
            control = controls.nth(k)
            if control.locator(CONTROL_SELECTOR).count():  # a container of controls, not one control
                continue
            before = _images(view)
            if not before:
                problems.append(f"{name} widget {v}: no figure in the cell of the controls")
                break
            action = _operate(page, control)
            deadline = time.monotonic() + REDRAW_S
            after = before
            while time.monotonic() < deadline:
                page.wait_for_timeout(200)
                after = _images(view)
                if after and after != before:
                    break
            operated.append(f"widget {v} control {k}: {action}")
            if not after or after == before:
                shot = shots / f"{Path(name).stem}-widget{v}-control{k}.png"
                view.screenshot(path=str(shot))
                problems.append(f"{name} widget {v} control {k} ({action}): the figure did not change "
                                f"within {REDRAW_S} s (screenshot {shot})")
    return operated, problems


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_clean_and_widgets_redraw(name, page, lab, artifacts):
    page.js_errors.clear()
    t0 = time.monotonic()
    try:
        _open(page, lab, name)
        t_open = time.monotonic()
        if name == DARK:
            _menu(page, "Settings", "Theme", "JupyterLab Dark")
            page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=20_000)
        state = _run_all(page, name)
        t_run = time.monotonic()
        assert not state["stderr"], f"{name}: error or stderr output after Run All: {state['stderr']}"
        operated, problems = _check_widgets(page, name, artifacts)
        print(f"{name}: open {t_open - t0:.0f} s, run all {t_run - t_open:.0f} s, widgets "
              f"{time.monotonic() - t_run:.0f} s: " + "; ".join(operated))
        if os.environ.get("LSTM_BROWSER_SHOTS"):  # for a person checking the test itself
            page.screenshot(path=str(artifacts / f"{Path(name).stem}-end.png"))
        assert not problems, "\n".join(problems)
        expected = _widget_outputs(name)
        views = {line.split(" control")[0] for line in operated}
        assert len(views) >= expected, (f"{name}: {expected} cells with widgets in the saved notebook, but "
                                        f"controls were operated in {len(views)}: {operated}")
        if name == DARK:
            page.screenshot(path=str(artifacts / f"{Path(name).stem}-dark.png"))
        assert not page.js_errors, f"{name}: JavaScript errors in the page: {page.js_errors}"
        toasts = page.locator(".Toastify__toast").all_inner_texts()
        assert not [t for t in toasts if "news" in t.lower()], f"JupyterLab asks about news: {toasts}"
    except BaseException:
        shot = artifacts / f"{Path(name).stem}-failure.png"
        page.screenshot(path=str(shot))
        print(f"{name}: screenshot of the failure: {shot}")
        raise
