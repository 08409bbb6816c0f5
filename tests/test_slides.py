"""Slides: the tagging rules (only slide types change, idempotent), the offline decks in a real browser, and
every notebook 00-10 presented live in JupyterLab (jupyterlab-slideshow) with its widget moved on its slide.

The browser tests need Chromium and Playwright: without them they are skipped with one line (set
LSTM_REQUIRE_BROWSER=1 to make that a failure, as CI does). The decks are built once for the module; the live
decks share one JupyterLab and one page (TestLiveDeck). Screenshots of live slides that do not fit the window,
and of failures, go to LSTM_BROWSER_ARTIFACTS (else a temporary folder the failure message names).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
from pathlib import Path

import pytest
from conftest import (BROWSER_REQUIRED as REQUIRED, CHROMIUM, CHROMIUM_ARGS, close_notebooks, open_lab_page,
                      serve_lab, shutdown_kernels, sync_playwright_or_skip)

from lstm_helpers.tools import slides

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[01][0-9]_*.ipynb"))
DECK_NOTEBOOKS = NOTEBOOKS  # every deck: built, opened offline, stepped through, heights checked


def _strip_slides(nb):
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        cell["metadata"].pop("slideshow", None)
    return nb


# ---------------------------------------------------------------------------------------------------
# rules


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_tagging_changes_only_slide_types_and_is_idempotent(path, tmp_path):
    original = path.read_text(encoding="utf-8")
    target = tmp_path / path.name
    target.write_text(slides.dumps_notebook(_strip_slides(json.loads(original))), encoding="utf-8")
    untagged = target.read_bytes()
    slides.tag_file(target)
    once = target.read_bytes()
    assert slides.tag_file(target) == 0 and target.read_bytes() == once  # idempotent
    tagged = json.loads(once)
    assert slides.dumps_notebook(_strip_slides(tagged)).encode() == untagged  # nothing else changed
    assert not [c for c in tagged["cells"] if c["metadata"].get("slideshow", {}).get("slide_type") == "-"], \
        "a slide type '-' hides the cell in the live deck: continuations are written without a slide type"
    types = [slides.written_type(c) for c in tagged["cells"]]
    assert types == slides.slide_types(tagged["cells"], path.parent)
    assert set(types) <= {"slide", "subslide", "fragment", "-", "skip", "notes"}
    assert types[0] == "slide"
    slide_count, subslide_count = slides.count_slides(types)
    if path.name[:2] <= "10":
        assert slide_count + subslide_count >= 8, f"{path.name}: only {slide_count + subslide_count} screens"


def test_rules_read_structure():
    md = lambda s, **m: {"cell_type": "markdown", "source": s, "metadata": m}  # noqa: E731
    code = lambda s, outputs=(), **m: {"cell_type": "code", "source": s, "metadata": m,  # noqa: E731
                                       "outputs": list(outputs), "execution_count": None}
    cells = [md("# Title\n\ntext"), code("%matplotlib inline\nimport numpy as np"), md("## Section"),
             code("x = 1"), md("### Derivation"), md("more"), code("assert x == 1"),
             md("<!-- notes -->\nsay this"), code("y = 2", tags=["notes"]),
             md("long\n" * 40), md("after the long one")]
    assert slides.slide_types(cells) == ["slide", "skip", "slide", "fragment", "subslide", "-", "skip",
                                         "notes", "notes", "subslide", "subslide"]


def test_a_continued_slide_is_written_without_a_slide_type():
    """nbconvert reads no type as "-"; jupyterlab-slideshow shows a cell typed "-" on no slide, one without a type
    on the slide it continues."""
    nb = {"cells": [{"cell_type": "markdown", "source": "# Title", "metadata": {}},
                    {"cell_type": "markdown", "source": "more", "metadata": {"slideshow": {"slide_type": "-"}}},
                    {"cell_type": "markdown", "source": "and more", "metadata": {"slideshow": {"slide_type": "-", "x": 1}}}]}
    assert slides.tag_notebook(nb) == 3 and slides.tag_notebook(nb) == 0
    assert [c["metadata"] for c in nb["cells"]] == [{"slideshow": {"slide_type": "slide"}}, {}, {"slideshow": {"x": 1}}]
    assert [slides.written_type(c) for c in nb["cells"]] == ["slide", "-", "-"]


def test_local_images_are_inlined(tmp_path):
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAYAAAC56t6BAAAAEElEQVR4nGNgYGD4z8DAAAAPAgEAbeyFfgAAAABJRU5ErkJggg==")
    (tmp_path / "a.png").write_bytes(png)
    out = slides.inline_images('![x](a.png) <img src="a.png"> ![y](https://e.org/b.png) ![z](gone.png)', tmp_path)
    assert out.count("data:image/png;base64,") == 2 and "https://e.org/b.png" in out and "(gone.png)" in out


def test_png_height_read_from_header():
    png = ("iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAYAAAC56t6BAAAAEElEQVR4nGNgYGD4z8DAAAAPAgEAbeyFfgAAAABJRU5ErkJggg==")
    assert slides.png_size(png) == (2, 3)
    with pytest.raises(ValueError, match="data_b64"):
        slides.png_size("aGVsbG8gd29ybGQgdGhpcyBpcyBub3QgYSBwbmc=")


def test_committed_notebooks_are_tagged():
    """Every committed notebook carries the slide types the rules give (`slides tag` after an edit)."""
    untagged = [p.name for p in NOTEBOOKS if "slideshow" not in json.loads(p.read_text())["cells"][0]["metadata"]]
    assert not untagged, f"not tagged: run python -m lstm_helpers.tools.slides tag notebooks/*.ipynb: {untagged}"
    stale = [p.name for p in NOTEBOOKS if slides.tag_file(p, check=True)]
    assert not stale, f"slide types out of date, run `python -m lstm_helpers.tools.slides tag`: {stale}"


# ---------------------------------------------------------------------------------------------------
# offline decks in a browser


@pytest.fixture(scope="module")
def chromium():
    sync_playwright = sync_playwright_or_skip()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser(chromium):
    """A browser context with the network cut off: only file:// requests are answered."""
    context = chromium.new_context(viewport={"width": slides.SCREEN_W, "height": slides.SCREEN_H})
    blocked = []

    def block(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", block)
    context.blocked = blocked
    yield context
    context.close()


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    slides.copy_assets(out)
    return {p.name: slides.build_deck(p, out) for p in DECK_NOTEBOOKS}


# Every leaf slide, visited in order: its height, whether a math source is left unrendered, its fragments.
JS_WALK = """async () => {
  const out = [];
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  const h = Reveal.getHorizontalSlides();
  for (let i = 0; i < h.length; i++) {
    const vs = h[i].querySelectorAll(':scope > section');
    const n = vs.length || 1;
    for (let j = 0; j < n; j++) {
      Reveal.slide(i, j, -1);
      await sleep(5);
      const s = Reveal.getCurrentSlide();
      const md = [...s.querySelectorAll('.jp-RenderedMarkdown')]
        .map(e => { const c = e.cloneNode(true); c.querySelectorAll('code, pre, mjx-container').forEach(x => x.remove());
                    return c.textContent; }).join(' ');
      out.push({h: i, v: j, height: s.scrollHeight, fragments: s.querySelectorAll('.fragment').length,
                raw_math: /\\$[^$\\s][^$]*\\$/.test(md) ? md.match(/\\$[^$]*\\$/)[0].slice(0, 80) : null,
                math: s.querySelectorAll('mjx-container').length});
    }
  }
  return out;
}"""


def test_decks_have_no_cdn_and_vendored_licences(decks):
    for deck in decks.values():
        html = deck.read_text(encoding="utf-8")
        assert "https://" not in " ".join(l for l in html.splitlines() if "<script" in l or "<link" in l)
        assert "require.js" not in html and "widget-view+json" not in html
    assets = next(iter(decks.values())).parent / slides.ASSETS
    assert (assets / "reveal.js" / "LICENSE").exists() and (assets / "mathjax" / "LICENSE").exists()


@pytest.mark.parametrize("name", [p.name for p in DECK_NOTEBOOKS], ids=lambda n: n[:2])
def test_deck_offline_in_browser(browser, decks, name):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(decks[name].as_uri())
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.document", timeout=30_000)
        visited = page.evaluate(JS_WALK)
        assert not errors, errors
        assert not browser.blocked, f"the deck asked the network for {browser.blocked[:3]}"
        assert len(visited) >= 8, f"{name}: {len(visited)} slides"
        assert page.evaluate("Reveal.getTotalSlides()") == len(visited)
        tall = [(v["h"], v["v"], v["height"]) for v in visited if v["height"] > slides.SCREEN_H]
        assert not tall, f"{name}: slides taller than {slides.SCREEN_H} px (h, v, px): {tall}"
        raw = [(v["h"], v["v"], v["raw_math"]) for v in visited if v["raw_math"]]
        assert not raw, f"{name}: math left as raw TeX: {raw}"
        assert sum(v["math"] for v in visited) > 0, f"{name}: no math rendered"
        broken = page.evaluate("() => [...document.querySelectorAll('img')].filter(i => i.complete && !i.naturalWidth)"
                               ".map(i => i.getAttribute('src').slice(0, 60))")
        assert not broken, f"{name}: images that did not load: {broken}"
        # step through every slide and fragment with the keyboard's `next`
        page.evaluate("Reveal.slide(0, 0, -1)")
        steps = page.evaluate("""() => { let n = 0; while (!(Reveal.isLastSlide() && !Reveal.availableFragments().next)
                                          && n < 5000) { Reveal.next(); n++; } return n; }""")
        assert steps >= len(visited) - 1
        assert page.evaluate("Reveal.isLastSlide()")
    finally:
        page.close()


# ---------------------------------------------------------------------------------------------------
# live slides in JupyterLab (jupyterlab-slideshow, formerly jupyterlab-deck), every notebook 00-10: Run All,
# present, advance with the lecturer's `next` key (Space) through the whole deck, measure every slide, move
# the notebook's widget on its slide and see its figure redrawn.
#
# How jupyterlab-slideshow lays a slide out: the notebook panel fills the window (position fixed, 100vh); every
# cell of the current slide or subslide gets `jp-deck-mod-onscreen` (fragments still to come take their place
# invisibly, at opacity 0) and the ones shown so far `jp-deck-mod-visible`; every other cell has height 0. The
# notebook scrolls (max-height 100vh) when the on-screen cells are taller than the window, so a slide fits
# when its on-screen cells, top of the first to bottom of the last, are at most SCREEN_H px tall.

LIVE_NOTEBOOKS = [p.name for p in NOTEBOOKS if p.name[:2] <= "10"]
LAB_SETTINGS = {  # never write the notebooks back; start each kernel without asking (as lab-settings/ does)
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False, "autoStartDefaultKernel": True},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "kernelShutdown": True},
}
RUN_ALL_S = 240  # one notebook, Run All to idle (LSTM_QUICK=1)
STEP_MS = 5_000  # one press of `next` to the next cell shown
CONTROLS = ".widget-slider, .widget-dropdown, .widget-play, .widget-checkbox, .widget-toggle-buttons, .widget-radio"
JS_RUN_STATE = """() => {
  const panel = [...document.querySelectorAll('.jp-NotebookPanel')].find(p => !p.classList.contains('lm-mod-hidden'));
  if (!panel) return null;
  const status = [...document.querySelectorAll('.jp-StatusBar-TextItem')].map(e => e.textContent).join(' | ');
  const cells = [...panel.querySelectorAll('.jp-CodeCell')];
  const code = cells.filter(c => (c.querySelector('.cm-content')?.textContent || '').trim());
  return {idle: /Idle/.test(status) && !/Busy/.test(status), cells: cells.length, code: code.length,
          unrun: code.filter(c => !/\\[\\d+\\]/.test(c.querySelector('.jp-InputPrompt')?.textContent || '')).length,
          errors: [...panel.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')]
                    .map(e => e.textContent.slice(0, 300))};
}"""
# Press `next` (a Space keydown on the focused cell, what the deck binds) until the cell `last` is active, or a
# slide comes on screen that does not fit the window (taller than `limit`, or past its top or bottom edge; with
# `first`, the slide shown at the start counts too), or (untilWidget) a widget control shows. Every step records
# the cells on screen, those shown so far, their heights, the top of the first and the bottom of the last.
JS_LIVE_WALK = """async ({last, limit, untilWidget, first, stepMs, controls}) => {
  const tick = () => new Promise(r => setTimeout(r, 0));
  const cells = [...document.querySelectorAll('.jp-Deck .jp-Notebook .jp-Cell')];
  const has = (c, k) => c.classList.contains(k);
  const state = () => {
    const on = cells.filter(c => has(c, 'jp-deck-mod-onscreen')), shown = on.filter(c => has(c, 'jp-deck-mod-visible'));
    const rects = on.map(c => c.getBoundingClientRect());
    return {active: cells.findIndex(c => has(c, 'jp-mod-active')), on: on.map(c => cells.indexOf(c)),
            shown: shown.map(c => cells.indexOf(c)), parts: rects.map(r => Math.round(r.height)),
            top: Math.round(Math.min(...rects.map(r => r.top))), bottom: Math.round(Math.max(...rects.map(r => r.bottom))),
            widget: shown.some(c => c.querySelector(controls))};
  };
  const fits = s => s.bottom - s.top <= limit && s.top >= 0 && s.bottom <= innerHeight;
  const out = [state()];
  if (first && (!fits(out[0]) || (untilWidget && out[0].widget))) { out[0].tall = !fits(out[0]); return out; }
  while (out[out.length - 1].active !== last) {
    const prev = out[out.length - 1], t0 = performance.now();
    (document.activeElement || document.body).dispatchEvent(new KeyboardEvent('keydown',
      {key: ' ', code: 'Space', keyCode: 32, which: 32, bubbles: true, cancelable: true}));
    while (has(cells[prev.active], 'jp-mod-active') && performance.now() - t0 < stepMs) await tick();  // no layout meanwhile
    const s = state();
    out.push(s);
    if (s.active === prev.active) { s.stuck = true; break; }
    if (!fits(s) && s.on.join() !== prev.on.join()) { s.tall = true; break; }
    if (untilWidget && s.widget) break;
  }
  return out;
}"""
JS_FIGURES = """() => [...document.querySelectorAll('.jp-Cell.jp-deck-mod-visible .jp-OutputArea img')].map(i => i.src)"""


def _height(step):
    return step["bottom"] - step["top"]


def _fits(step):
    """Whether the slide of one step of the walk fits the window: at most SCREEN_H tall, nothing past an edge."""
    return _height(step) <= slides.SCREEN_H and step["top"] >= 0 and step["bottom"] <= slides.SCREEN_H


def _source(cell):
    return "".join(cell["source"])


def _first_line(cell):
    return next((ln.strip() for ln in _source(cell).splitlines() if ln.strip() and not ln.startswith("<!--")), "")[:70]


@pytest.fixture(scope="module")
def live_lab(tmp_path_factory):
    """JupyterLab as `make serve-lab` runs it, on tagged copies of notebooks 00-10 (with img/ beside them, so
    every picture has its real size), with a fresh user."""
    import importlib.util
    import shutil
    import sys

    if not any(importlib.util.find_spec(m) for m in ("jupyterlab_slideshow", "jupyterlab_deck")):
        if REQUIRED:
            pytest.fail("LSTM_REQUIRE_BROWSER=1 but jupyterlab-slideshow is not installed (pip install -e .)")
        pytest.skip("live slide test skipped, jupyterlab-slideshow is not installed (pip install -e .)")
    home = tmp_path_factory.mktemp("deck-lab")
    (home / "root" / "notebooks").mkdir(parents=True)
    shutil.copytree(ROOT / "img", home / "root" / "img")
    tagged = {}
    for name in LIVE_NOTEBOOKS:
        nb = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
        slides.tag_notebook(nb, ROOT / "notebooks")
        (home / "root" / "notebooks" / name).write_text(slides.dumps_notebook(nb), encoding="utf-8")
        tagged[name] = nb
    for rel, value in LAB_SETTINGS.items():
        (home / "settings" / rel).parent.mkdir(parents=True, exist_ok=True)
        (home / "settings" / rel).write_text(json.dumps(value))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    env.update(JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), LSTM_QUICK="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))

    def cmd(port, token):  # `make lab`'s flags, with the tagged copies as the root folder
        argv = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}", "--no-browser",
                f"--ServerApp.root_dir={home / 'root'}", f"--IdentityProvider.token={token}",
                f"--LabApp.app_settings_dir={ROOT / 'lab-settings'}"]  # the shipped settings, as `make lab`
        return argv + (["--allow-root"] if hasattr(os, "getuid") and os.getuid() == 0 else [])

    with serve_lab(env, home / "lab.log", cmd=cmd, timeout_s=60) as lab:
        yield {**lab, "home": home, "notebooks": tagged}


@pytest.fixture(scope="module")
def live_page(chromium, live_lab):
    """One page at the lecturer's screen size for every notebook: JupyterLab loads once, each notebook is opened
    from its file browser."""
    page = open_lab_page(chromium, live_lab, viewport={"width": slides.SCREEN_W, "height": slides.SCREEN_H})
    yield page
    page.close()


def _menu(page, menu, item):
    """Choose a menu item from JupyterLab's menu bar (more reliable than shortcuts under load)."""
    page.get_by_role("menuitem", name=menu, exact=True).click()
    page.locator(".lm-Menu-item", has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$"))
                 ).first.click()


def _wait_run(page, name, done, timeout_s, what):
    import time

    deadline, state = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        state = page.evaluate(JS_RUN_STATE)
        if state and done(state):
            return state
        page.wait_for_timeout(250)
    raise AssertionError(f"{name}: {what} not reached within {timeout_s} s; last state {state}")


def _close_all(page, lab):
    """Leave the deck, close every notebook tab discarding its changes, shut every kernel down."""
    if page.evaluate("document.body.dataset.jpDeckMode === 'presenting'"):
        page.evaluate("document.querySelector('.jp-Deck .jp-Cell.jp-mod-active')?.focus()")
        page.keyboard.press("Escape")
        page.wait_for_function("document.body.dataset.jpDeckMode !== 'presenting'", timeout=10_000)
    close_notebooks(page, tries=5)
    shutdown_kernels(lab)


def _operate(page, control):
    """Change one control's value with the mouse, as a lecturer would; returns what was done."""
    classes = control.get_attribute("class") or ""
    if "widget-dropdown" in classes:
        select = control.locator("select")
        options = select.locator("option").evaluate_all("els => els.map(e => e.value)")
        other = next(v for v in options if v != select.input_value())
        select.select_option(other)
        return f"dropdown set to {other!r}"
    if "widget-play" in classes:
        control.locator("button").first.click()
        return "play pressed"
    if "widget-slider" in classes:
        hb = control.locator(".noUi-handle").first.bounding_box()
        tb = control.locator(".noUi-target").first.bounding_box()
        x0, y0 = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(tb["x"] + tb["width"] * (0.8 if x0 < tb["x"] + tb["width"] / 2 else 0.2), y0, steps=8)
        page.mouse.up()
        return "slider dragged"
    control.locator("input, button").first.click()
    return f"{classes.split()[0]} clicked"


class TestLiveDeck:
    """A class of its own, so `--dist loadscope` can run it on one worker while the offline decks run on the other."""

    @staticmethod
    def _move_a_widget(page, name):
        """Operate a control on the slide, one the lecturer can reach without scrolling if there is one (sliders
        first), and wait for its figure to be redrawn. Returns what was done, and says so if it had to scroll."""
        before = page.evaluate(JS_FIGURES)
        shown = page.locator(".jp-Cell.jp-deck-mod-visible")
        kinds = (".widget-slider", ".widget-dropdown", f":is({CONTROLS}):not(.widget-slider):not(.widget-dropdown)")
        controls = [loc.nth(i) for loc in map(shown.locator, kinds) for i in range(loc.count())]
        # on screen as the slide shows it: the part a lecturer grabs (handle, list, first button) inside the window,
        # not clipped by a cell that scrolls inside itself, not under anything else; else what is there instead
        blocked = [c.evaluate("""e => { const t = e.querySelector('.noUi-handle, select, button, input') || e;
            const r = t.getBoundingClientRect();
            if (r.top < 0 || r.bottom > innerHeight) return `off screen at y=${Math.round(r.top)}`;
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return hit && t.contains(hit) ? '' : `at y=${Math.round(r.top)} under ${hit ? hit.className : 'nothing'}`;
        }""")
                   for c in controls]
        control = controls[blocked.index("")] if "" in blocked else controls[0]
        control.scroll_into_view_if_needed()  # off screen, a lecturer scrolls to it: so does the test
        moved = _operate(page, control)
        page.wait_for_function(f"() => JSON.stringify(({JS_FIGURES})()) !== {json.dumps(json.dumps(before))}",
                               timeout=30_000)
        assert page.evaluate(JS_FIGURES)[-1] not in before, f"{name}: {moved}, but the figure was not redrawn"
        if moved == "play pressed":
            control.locator("button").nth(1).click()  # stop
        if "" in blocked:
            return moved
        return f"{moved}, but only after scrolling: no control could be reached on the slide ({'; '.join(blocked)})"

    @pytest.mark.parametrize("name", LIVE_NOTEBOOKS, ids=lambda n: n[:2])
    def test_live_deck_with_a_working_widget(self, live_page, live_lab, name):
        import time

        page, nb = live_page, live_lab["notebooks"][name]
        cells = nb["cells"]
        shot_dir = Path(os.environ.get("LSTM_BROWSER_ARTIFACTS") or live_lab["home"])
        shot_dir.mkdir(parents=True, exist_ok=True)
        types = [slides.written_type(c) for c in cells]
        last = max(i for i, t in enumerate(types) if t not in ("skip", "notes"))  # where the deck ends
        page.js_errors.clear()
        t0 = time.monotonic()
        try:
            _close_all(page, live_lab)
            item = page.locator(".jp-DirListing-item", has=page.locator(".jp-DirListing-itemText", has_text=re.compile(
                f"^{re.escape(name)}$")))
            if not item.is_visible():  # presenting folds the side bar away
                page.locator('.jp-SideBar .lm-TabBar-tab[data-id="filebrowser"]').click()
            item.dblclick()
            _wait_run(page, name, lambda s: s["cells"] and s["idle"], 90, "opened, kernel started and idle")
            # outputs cleared first: the saved ones carry execution counts too, so only then does every count
            # shown say that Run All has reached its cell
            _menu(page, "Edit", "Clear Outputs of All Cells")
            _wait_run(page, name, lambda s: s["unrun"] == s["code"], 20, "outputs cleared")
            _menu(page, "Run", "Run All Cells")
            state = _wait_run(page, name, lambda s: s["idle"] and (s["errors"] or not s["unrun"]), RUN_ALL_S,
                              "Run All finished")
            assert not state["errors"], f"{name}: error or stderr output after Run All: {state['errors']}"
            t_run = time.monotonic()
            page.locator(".jp-Notebook .jp-Cell").first.click()
            page.keyboard.press("Escape")
            page.locator('.jp-NotebookPanel-toolbar [data-command="deck:toggle"]').first.click()  # "Toggle Deck"
            page.wait_for_function("document.body.dataset.jpDeckMode === 'presenting' && "
                                   "document.querySelector('.jp-Deck .jp-deck-mod-visible')", timeout=30_000)
            walk = {"last": last, "limit": slides.SCREEN_H, "stepMs": STEP_MS, "controls": CONTROLS}
            steps, moved = page.evaluate(JS_LIVE_WALK, {**walk, "untilWidget": True, "first": True}), None
            assert steps[0]["on"] and steps[0]["on"][0] == 0, f"{name}: the deck did not start on the first slide"
            while True:  # the walk stops on every slide that does not fit (for its picture) and on the widget
                here = steps[-1]
                if here.get("tall"):  # what the lecturer sees of a slide that does not fit
                    page.screenshot(path=str(shot_dir / f"live_{name[:2]}_cell{here['on'][0]}_{_height(here)}px.png"))
                if here["widget"] and not moved:
                    moved = self._move_a_widget(page, name)
                    # the keys go to the deck again
                    page.evaluate("document.querySelector('.jp-Deck .jp-Cell.jp-mod-active').focus()")
                if here["active"] == last or here.get("stuck"):
                    break
                steps += page.evaluate(JS_LIVE_WALK, {**walk, "untilWidget": not moved, "first": False})
            t_walk = time.monotonic()
            stuck = [s for s in steps if s.get("stuck")]
            assert not stuck, f"{name}: `next` did nothing on the slide of cells {stuck[0]['on']}"
            screens = {}  # the cells on screen: the step that shows them worst (tallest, or past an edge)
            for s in steps:
                worst = screens.get(tuple(s["on"]))
                if worst is None or (_fits(worst), -_height(worst)) > (_fits(s), -_height(s)):
                    screens[tuple(s["on"])] = s
            heights = [_height(s) for s in screens.values()]
            expected = sum(slides.count_slides(types))
            print(f"{name}: {len(screens)} slides, {len(steps)} steps, tallest {max(heights)} px; "
                  f"run all {t_run - t0:.0f} s, deck {t_walk - t_run:.0f} s; {moved}")
            problems = []
            if len(screens) < 8 or len(screens) != expected:
                problems.append(f"{len(screens)} slides presented, {expected} in the metadata (at least 8 wanted)")
            seen = set().union(*[set(s["on"]) for s in steps])
            hidden = [(i, types[i], _first_line(cells[i])) for i, t in enumerate(types)
                      if t not in ("skip", "notes") and i not in seen]
            if hidden:
                problems.append(f"cells never on screen in the live deck (cell, slide type, text): {hidden}")
            tall = [f"slide {k + 1} ({_height(s)} px, from y={s['top']} to {s['bottom']}; cell: px "
                    f"{dict(zip(on, s['parts']))}): {_first_line(cells[on[0]])!r}"
                    for k, (on, s) in enumerate(screens.items()) if not _fits(s)]
            if tall:
                problems.append(f"{len(tall)} slides do not fit the {slides.SCREEN_W}x{slides.SCREEN_H} window "
                                f"(screenshots in {shot_dir}):\n  " + "\n  ".join(tall))
            if not moved:
                problems.append("no slide showed a widget control")
            elif "only after scrolling" in moved:
                problems.append(f"the widget: {moved}")
            if page.js_errors:
                problems.append(f"JavaScript errors in the page: {page.js_errors}")
            assert not problems, f"{name} live:\n" + "\n".join(problems)
        except Exception:
            shot = shot_dir / f"live_{name[:2]}_failure.png"
            page.screenshot(path=str(shot))
            print(f"screenshot of the failure: {shot}")
            raise
