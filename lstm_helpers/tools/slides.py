"""Lecture slides from the notebooks: `tag` sets every cell's slide type by rules, `build` writes offline decks.

`python -m lstm_helpers.tools.slides tag notebooks/*.ipynb` (`--check`: change nothing, exit 1 if stale) and
`python -m lstm_helpers.tools.slides build notebooks/*.ipynb --out slides/`.

Tagging changes only ``metadata.slideshow.slide_type`` (sources and outputs stay byte-identical) and is
idempotent. The rules read structure, never particular texts:

1. a cell tagged ``notes`` (or a markdown cell whose first line is ``<!-- notes -->``) -> ``notes``;
2. the first code cell when it holds imports or ``%matplotlib`` (the setup cell), and test-only code cells
   (tagged ``skip-slides`` or made only of ``assert`` lines) -> ``skip``;
3. a markdown cell opening with ``#`` or ``##`` -> ``slide``; with ``###`` -> ``subslide``;
4. any other cell continues the current slide (markdown ``-``, code ``fragment``) while the slide's estimated
   height stays within one 1280x720 screen, else it opens a new ``subslide``.

A markdown cell that continues a slide (``-``) is written with no slide type at all: nbconvert reads a missing
type as ``-``, and jupyterlab-slideshow (the live decks, 0.3.4) continues a slide only with a missing type (at
the cost of one press of `next` that shows nothing new); a cell whose type is the string ``-`` it shows on no
slide at all.

Heights are estimated in pixels of the deck's own CSS (see slides_template/): wrapped source lines, text
output lines, PNG heights read from the image header. A cell alone taller than the screen scrolls inside
itself in the static decks (their CSS gives each cell a max-height) and in the live decks (the shipped
lab-settings/overrides.json caps a cell on a live slide at the screen's height).
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import re
import shutil
import struct
import sys
from pathlib import Path

from lstm_helpers.tools.notebooks import dumps_notebook  # noqa: F401  (also slides.dumps_notebook)
from lstm_helpers.utils import atomic_write

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "vendor"
TEMPLATE_DIR = Path(__file__).resolve().parent / "slides_template"
ASSETS = "assets"  # the folder next to the decks that holds the vendored reveal.js and MathJax

SCREEN_W, SCREEN_H = 1280, 720
BUDGET = 600         # estimated px one slide may fill (the screen less margins, title bar and a safety margin)
CELL_MAX = 640       # px: a taller cell scrolls inside itself in the decks
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
NOTES_MARK = "<!-- notes -->"
SKIP_TAGS = {"skip-slides", "remove_cell", "remove-cell"}

# px per line in the deck's CSS (slides_template/lstm_deck.html.j2), and characters before a line wraps
MD_LINE, MD_CHARS = 30, 105
CODE_LINE, CODE_CHARS = 21, 130
OUT_LINE = 21
HEADING = {1: 75, 2: 60, 3: 48}
CELL_GAP = 14


# ---------------------------------------------------------------------------------------------------
# height estimates

def png_size(data_b64):
    """(width, height) in pixels from a base64 PNG's IHDR chunk, without decoding the image."""
    head = base64.b64decode(data_b64[:64])
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"data_b64: expected a base64 PNG, got one starting with {head[:8]!r}")
    return struct.unpack(">II", head[16:24])


def _wrapped(lines, chars):
    return sum(max(1, math.ceil(len(line) / chars)) for line in lines)


def image_height(path, folder):
    """Estimated px of a markdown image: a local PNG's own height (scaled to the slide's width), else 350."""
    file = Path(folder) / path if folder is not None else None
    if file is None or file.suffix.lower() != ".png" or not file.is_file():
        return 350
    w, h = struct.unpack(">II", file.read_bytes()[16:24])
    return h * min(1.0, (SCREEN_W - 80) / w) if w else 350


def markdown_height(source, folder=None):
    """Estimated px of a rendered markdown cell (images looked up relative to ``folder``)."""
    height, in_math = 0, False
    for line in source.splitlines():
        s = line.strip()
        if s.startswith("$$"):
            in_math = not in_math if s.count("$$") == 1 else in_math
            height += 45
        elif in_math:
            height += 35
        elif re.match(r"#{1,6} ", s):
            height += HEADING.get(len(s.split()[0]), 40)
        elif not s:
            height += 12
        elif s.startswith("|"):
            height += 38 if not set(s) <= set("|-: ") else 0
        elif s.startswith("![") and "](" in s:
            height += image_height(s.split("](", 1)[1].split(")")[0].split()[0], folder)
        else:
            height += _wrapped([s], MD_CHARS) * MD_LINE
    return height + 10


def output_height(output):
    """Estimated px of one code-cell output (a widget view counts as its controls only: its figure is the PNG)."""
    data = output.get("data", {})
    if output.get("output_type") == "stream":
        return _wrapped("".join(output.get("text", "")).splitlines(), CODE_CHARS) * OUT_LINE + 10
    if output.get("output_type") == "error":
        return len(output.get("traceback", [])) * OUT_LINE * 3
    if "image/png" in data:
        meta = output.get("metadata", {}).get("image/png", {})
        w, h = png_size(data["image/png"])
        w, h = meta.get("width", w), meta.get("height", h)
        scale = min(1.0, (SCREEN_W - 80) / w) if w else 1.0
        return min(h * scale, CELL_MAX) + 10
    if WIDGET_VIEW in data:
        return 60
    if "text/html" in data:
        text = re.sub(r"<[^>]+>", "", "".join(data["text/html"]))
        return len(text.strip().splitlines()) * OUT_LINE + 20
    if "text/plain" in data:
        return len("".join(data["text/plain"]).splitlines()) * OUT_LINE + 10
    return 0


def cell_height(cell, folder=None):
    """Estimated px of a cell on a slide, at most CELL_MAX (a taller cell scrolls inside itself)."""
    source = "".join(cell.get("source", ""))
    if cell["cell_type"] == "markdown":
        height = markdown_height(source, folder)
    elif cell["cell_type"] == "code":
        height = _wrapped(source.splitlines(), CODE_CHARS) * CODE_LINE + 20
        height += sum(output_height(o) for o in cell.get("outputs", []))
    else:
        height = 0
    return min(height, CELL_MAX) + CELL_GAP


# ---------------------------------------------------------------------------------------------------
# the rules

def _is_notes(cell):
    return "notes" in cell.get("metadata", {}).get("tags", []) or (
        cell["cell_type"] == "markdown" and "".join(cell["source"]).lstrip().startswith(NOTES_MARK))


def _is_setup(cell, first_code):
    source = "".join(cell["source"])
    return first_code and re.search(r"^(import |from \S+ import |%matplotlib)", source, re.M) is not None


def _is_test_only(cell):
    if SKIP_TAGS & set(cell.get("metadata", {}).get("tags", [])):
        return True
    lines = [ln for ln in "".join(cell["source"]).splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return bool(lines) and all(ln.lstrip().startswith("assert ") for ln in lines)


def slide_types(cells, folder=None):
    """The slide type of every cell, by the rules in the module docstring (``folder``: the notebook's,
    where its markdown images are looked up)."""
    types, used, first_code = [], 0, True
    for cell in cells:
        kind = cell["cell_type"]
        source = "".join(cell.get("source", "")).lstrip()
        if _is_notes(cell):
            types.append("notes")
            continue
        if kind == "raw" or (kind == "code" and (_is_setup(cell, first_code) or _is_test_only(cell))):
            first_code = first_code and kind != "code"
            types.append("skip")
            continue
        if kind == "code":
            first_code = False
        height = cell_height(cell, folder)
        if kind == "markdown" and re.match(r"##? ", source):
            types.append("slide")
            used = height
        elif kind == "markdown" and source.startswith("### "):
            types.append("subslide")
            used = height
        elif not types or all(t in ("skip", "notes") for t in types) or used + height > BUDGET:
            types.append("slide" if all(t in ("skip", "notes") for t in types) else "subslide")
            used = height
        else:
            types.append("fragment" if kind == "code" else "-")
            used += height
    return types


# ---------------------------------------------------------------------------------------------------
# reading and writing notebooks without touching anything but the slide types

def tag_notebook(nb, folder=None):
    """Set ``metadata.slideshow.slide_type`` on every cell (in place), leaving it out where the rules say ``-``
    (see the module docstring); return how many cells changed."""
    changed = 0
    for cell, kind in zip(nb["cells"], slide_types(nb["cells"], folder)):
        meta = cell.setdefault("metadata", {})
        show = meta.get("slideshow", {})
        if kind == "-":
            if "slide_type" in show:
                del show["slide_type"]
                if not show:
                    del meta["slideshow"]
                changed += 1
        elif show.get("slide_type") != kind:
            meta.setdefault("slideshow", {})["slide_type"] = kind
            changed += 1
    return changed


def written_type(cell):
    """A cell's slide type as the notebook holds it, ``-`` when there is none."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")


def tag_file(path, check=False):
    """Tag one notebook file; with check=True only report whether it is up to date. Returns cells changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    if dumps_notebook(nb) != text:
        raise ValueError(f"path: expected a notebook in nbformat's layout (indent 1, sorted keys), got {path} "
                         "in another layout; re-save it with nbformat first")
    changed = tag_notebook(nb, path.parent)
    if changed and not check:
        with atomic_write(path, "w") as f:
            f.write(dumps_notebook(nb))
    return changed


def count_slides(types):
    """(slides, subslides) a list of slide types makes: every slide and subslide is one screen."""
    return types.count("slide"), types.count("subslide")


# ---------------------------------------------------------------------------------------------------
# static decks

def copy_assets(out):
    """Copy the vendored reveal.js and MathJax (with their licences) into out/assets."""
    target = Path(out) / ASSETS
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(VENDOR, target)
    return target


IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif"}


def inline_images(markdown, folder):
    """Markdown with every local image (``![alt](path)`` or ``<img src="path">``) inlined as a data URI."""
    def data_uri(path):
        file = (Path(folder) / path).resolve()
        kind = IMAGE_TYPES.get(file.suffix.lower())
        if "://" in path or path.startswith("data:") or kind is None or not file.is_file():
            return path
        return f"data:{kind};base64," + base64.b64encode(file.read_bytes()).decode("ascii")

    markdown = re.sub(r"(!\[[^\]]*\]\()([^)\s]+)", lambda m: m.group(1) + data_uri(m.group(2)), markdown)
    return re.sub(r"(<img[^>]*\ssrc=[\"'])([^\"']+)", lambda m: m.group(1) + data_uri(m.group(2)), markdown)


def deck_notebook(nb, folder="."):
    """A copy of the notebook for a static deck: tagged, widget views dropped (their PNG fallback stays),
    local images inlined so the deck works wherever it is opened."""
    nb = json.loads(json.dumps(nb))
    tag_notebook(nb, folder)
    nb["metadata"].pop("widgets", None)
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = inline_images("".join(cell["source"]), folder)
        if cell["cell_type"] == "code":
            cell["outputs"] = [o for o in cell.get("outputs", []) if WIDGET_VIEW not in o.get("data", {})]
    return nb


def build_deck(path, out):
    """Write out/<notebook name>.slides.html, an offline reveal.js deck; return its path."""
    import nbformat
    from nbconvert import SlidesExporter

    path, out = Path(path), Path(out)
    nb = nbformat.reads(json.dumps(deck_notebook(json.loads(path.read_text(encoding="utf-8")), path.parent)), as_version=4)
    exporter = SlidesExporter(template_file=str(TEMPLATE_DIR / "lstm_deck.html.j2"),
                              reveal_url_prefix=f"{ASSETS}/reveal.js", reveal_theme="white")
    resources = {"metadata": {"name": path.stem, "path": str(path.parent)},
                 "deck_assets": ASSETS, "deck_width": SCREEN_W, "deck_height": SCREEN_H,
                 "deck_cell_max_height": CELL_MAX}
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    for bad in ("cdn", "unpkg.com", "require.js", "requirejs", "jquery", "widget-manager", "html-manager"):
        if re.search(rf"<script[^>]+src=\"[^\"]*{re.escape(bad)}", html, re.I):
            raise RuntimeError(f"the deck of {path.name} still loads {bad!r}: the template needs updating")
    target = out / f"{path.stem}.slides.html"
    with atomic_write(target, "w") as f:
        f.write(html)
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lstm_helpers.tools.slides", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    tag = sub.add_parser("tag", help="set slide types on every cell by the rules")
    tag.add_argument("notebooks", nargs="+")
    tag.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook is not tagged")
    build = sub.add_parser("build", help="write one offline reveal.js deck per notebook")
    build.add_argument("notebooks", nargs="+")
    build.add_argument("--out", default="slides")
    args = parser.parse_args(argv)
    if args.command == "tag":
        stale = 0
        for path in args.notebooks:
            changed = tag_file(path, check=args.check)
            stale += bool(changed)
            types = slide_types(json.loads(Path(path).read_text(encoding="utf-8"))["cells"], Path(path).parent)
            slides, subs = count_slides(types)
            verb = "would change" if args.check else "changed"
            print(f"{path}: {verb} {changed} cells; {slides} slides + {subs} subslides")
        return 1 if args.check and stale else 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    for path in args.notebooks:
        print(build_deck(path, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
