"""The static view of every notebook (`jupyter nbconvert --to html`, what GitHub-like viewers show).

Every widget view needs a figure before it, in the same cell, for readers without a live kernel;
and no widget may leave an empty figure behind (in the page or in its saved widget state).
"""

import base64
import html
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
WIDGET_VIEW = re.compile(r'<script type="application/vnd\.jupyter\.widget-view\+json">')
OUTPUT_IMAGE = re.compile(r'class="jp-RenderedImage jp-OutputArea-output"[^>]*>\s*<img [^>]*src="data:image/png;base64,([^"]+)"')
EMPTY_FIGURE_TEXT = re.compile(r"<Figure size [^>]* with \d+ Axes>")
CELL_START = re.compile(r'<div class="jp-Cell ')
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    result = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir", str(out),
                             *[str(ROOT / "notebooks" / n) for n in NOTEBOOKS]],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def _blank(b64):
    image = mpimg.imread(io.BytesIO(base64.b64decode(b64)), format="png")
    return float(np.ptp(image[..., :3])) == 0.0


def _cells(page):
    starts = [m.start() for m in CELL_START.finditer(page)] + [len(page)]
    return [page[a:b] for a, b in zip(starts, starts[1:])]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_widget_view_follows_a_fallback_figure(rendered, name):
    page = (rendered / name.replace(".ipynb", ".html")).read_text(encoding="utf-8")
    problems = []
    for k, cell in enumerate(_cells(page)):
        for view in WIDGET_VIEW.finditer(cell):
            images = OUTPUT_IMAGE.findall(cell[:view.start()])
            if not images:
                problems.append(f"cell {k}: a widget view with no figure output before it in its cell")
            elif all(_blank(b) for b in images):
                problems.append(f"cell {k}: the figure before the widget view is blank")
    assert not problems, f"{name} (static HTML view): " + "; ".join(problems)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_empty_figure_is_left_behind(rendered, name):
    page = (rendered / name.replace(".ipynb", ".html")).read_text(encoding="utf-8")
    problems = []
    for k, cell in enumerate(_cells(page)):
        if EMPTY_FIGURE_TEXT.search(html.unescape(SCRIPT.sub("", cell))):  # shown only when no picture is
            problems.append(f"cell {k}: an empty figure ('<Figure size ... Axes>' without a picture)")
        problems += [f"cell {k}: a blank figure output" for b in OUTPUT_IMAGE.findall(cell) if _blank(b)]
    nb = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
    state = nb.get("metadata", {}).get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    for model_id, model in state.get("state", {}).items():
        if model.get("model_name") != "OutputModel":
            continue
        outputs = model.get("state", {}).get("outputs", [])
        pngs = [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]
        texts = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in outputs
                        if "image/png" not in o.get("data", {}))
        if not pngs or all(_blank(p) for p in pngs) or EMPTY_FIGURE_TEXT.search(texts):
            problems.append(f"saved widget state: output widget {model_id[:8]} holds no figure "
                            f"(outputs: {[sorted(o.get('data', {})) or o.get('output_type') for o in outputs]})")
    assert not problems, f"{name}: " + "; ".join(problems)
