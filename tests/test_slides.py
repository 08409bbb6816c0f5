"""Slides: the tagging rules (only slide types change, idempotent), the offline decks in a real browser.

The browser tests need Chromium and Playwright: without them they are skipped with one line (set
LSTM_REQUIRE_BROWSER=1 to make that a failure, as CI does). The decks are built once for the module.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
from pathlib import Path

import pytest
from conftest import BROWSER_REQUIRED as REQUIRED, CHROMIUM, CHROMIUM_ARGS, serve_lab, sync_playwright_or_skip

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
    types = [c["metadata"]["slideshow"]["slide_type"] for c in tagged["cells"]]
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
# live slides in JupyterLab (jupyterlab-slideshow, formerly jupyterlab-deck): present, advance, move a widget, see its figure redrawn

LIVE_NOTEBOOK = "00_start_here.ipynb"  # short, quick to run, one slider with a figure
LAB_SETTINGS = {  # never write the notebook back; start its kernel without asking (as lab-settings/ does)
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False, "autoStartDefaultKernel": True},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "kernelShutdown": True},
}
JS_VISIBLE = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell.jp-deck-mod-visible')]
                        .map(c => [...c.parentNode.children].indexOf(c)).join(',')"""
JS_SLIDER_SHOWN = """() => [...document.querySelectorAll('.jp-Cell.jp-deck-mod-visible .widget-slider')]
                            .some(e => getComputedStyle(e).visibility === 'visible')"""
JS_FIGURES = """() => [...document.querySelectorAll('.jp-Cell.jp-deck-mod-visible .jp-OutputArea img')].map(i => i.src)"""


@pytest.fixture(scope="module")
def live_lab(tmp_path_factory):
    """JupyterLab as `make serve-lab` runs it, on a copy of one tagged notebook, with a fresh user."""
    import sys

    import importlib.util

    if not any(importlib.util.find_spec(m) for m in ("jupyterlab_slideshow", "jupyterlab_deck")):
        if REQUIRED:
            pytest.fail("LSTM_REQUIRE_BROWSER=1 but jupyterlab-slideshow is not installed (pip install -e .)")
        pytest.skip("live slide test skipped, jupyterlab-slideshow is not installed (pip install -e .)")
    home = tmp_path_factory.mktemp("deck-lab")
    (home / "root" / "notebooks").mkdir(parents=True)
    nb = json.loads((ROOT / "notebooks" / LIVE_NOTEBOOK).read_text(encoding="utf-8"))
    slides.tag_notebook(nb, ROOT / "notebooks")
    (home / "root" / "notebooks" / LIVE_NOTEBOOK).write_text(slides.dumps_notebook(nb), encoding="utf-8")
    for rel, value in LAB_SETTINGS.items():
        (home / "settings" / rel).parent.mkdir(parents=True, exist_ok=True)
        (home / "settings" / rel).write_text(json.dumps(value))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    env.update(JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), LSTM_QUICK="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))

    def cmd(port, token):  # `make lab`'s flags, with the tagged copy as the root folder
        argv = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}", "--no-browser",
                f"--ServerApp.root_dir={home / 'root'}", f"--IdentityProvider.token={token}",
                f"--LabApp.app_settings_dir={ROOT / 'lab-settings'}"]  # the shipped settings, as `make lab`
        return argv + (["--allow-root"] if hasattr(os, "getuid") and os.getuid() == 0 else [])

    with serve_lab(env, home / "lab.log", cmd=cmd, timeout_s=60) as lab:
        yield {**lab, "home": home}


def _menu(page, menu, item):
    """Choose a menu item from JupyterLab's menu bar (more reliable than shortcuts under load)."""
    page.get_by_role("menuitem", name=menu, exact=True).click()
    page.locator(".lm-Menu-item", has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$"))
                 ).first.click()


def test_live_deck_with_a_working_widget(chromium, live_lab):
    page = chromium.new_page(viewport={"width": slides.SCREEN_W, "height": slides.SCREEN_H})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{live_lab['base']}/lab/tree/notebooks/{LIVE_NOTEBOOK}?reset&token={live_lab['token']}")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
        page.wait_for_function("() => /Idle/.test(document.querySelector('.jp-StatusBar-Widget')?.textContent || '')",
                               timeout=90_000)
        select = page.locator(".jp-Dialog .jp-mod-accept")  # a kernel chooser, should one still ask
        if select.count():
            select.first.click()
        _menu(page, "Run", "Run All Cells")
        page.locator(".jp-Notebook .widget-slider").first.wait_for(timeout=120_000)
        page.locator(".jp-Notebook .jp-Cell").first.click()
        page.keyboard.press("Escape")
        page.locator('.jp-NotebookPanel-toolbar [data-command="deck:toggle"]').first.click()  # "Toggle Deck"
        page.wait_for_function(JS_VISIBLE, timeout=30_000)
        assert page.evaluate(JS_VISIBLE) == "0", "the deck did not start on the first slide"
        shown, advances = [page.evaluate(JS_VISIBLE)], 0
        while not page.evaluate(JS_SLIDER_SHOWN) and advances < 30:
            before = page.evaluate(JS_VISIBLE)
            page.keyboard.press("ArrowDown")  # the next subslide, else the next slide
            page.wait_for_timeout(300)
            if page.evaluate(JS_VISIBLE) == before:
                page.keyboard.press("ArrowRight")
                page.wait_for_timeout(300)
            shown.append(page.evaluate(JS_VISIBLE))
            advances += 1
        assert page.evaluate(JS_SLIDER_SHOWN), f"no slide showed the slider; slides seen (cell numbers): {shown}"
        assert len(set(shown)) >= 3, f"the deck did not advance: {shown}"
        before = page.evaluate(JS_FIGURES)
        handle = page.locator(".jp-Cell.jp-deck-mod-visible .widget-slider .noUi-handle").first
        handle.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => JSON.stringify(({JS_FIGURES})()) !== {json.dumps(json.dumps(before))}",
                               timeout=30_000)
        after = page.evaluate(JS_FIGURES)
        assert after and after[-1] not in before, "moving the slider did not redraw the figure on the slide"
        assert not errors, errors
    except Exception:
        shot = Path(os.environ.get("LSTM_BROWSER_ARTIFACTS") or live_lab["home"]) / "live_deck_failure.png"
        page.screenshot(path=str(shot))
        print(f"screenshot of the failure: {shot}")
        raise
    finally:
        page.close()
