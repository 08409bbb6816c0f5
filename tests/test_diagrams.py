"""Tests for lstm_helpers.tools.diagrams: the committed img/ folder is current, complete and well formed."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.testing.compare import compare_images
from matplotlib.text import Text

from lstm_helpers.tools import diagrams

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "img"
SEED_FIGURES = ["lstm_model", "state1", "state2", "forget", "input", "update", "output"]
STALE = "img/ is out of date: run `make images` (python -m lstm_helpers.tools.diagrams img) and commit the result"


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """Regenerate every figure once, through the command line, into a fresh temporary folder."""
    out = tmp_path_factory.mktemp("diagrams") / "img"
    result = subprocess.run([sys.executable, "-m", "lstm_helpers.tools.diagrams", str(out)],
                            cwd=ROOT, capture_output=True, text=True)
    return out, result


@pytest.fixture(scope="module")
def regenerated(cli_run):
    out, result = cli_run
    assert result.returncode == 0, result.stderr
    return out


# img/ must be current, yet another matplotlib version may place glyphs a pixel or two differently
# (3.7 and 3.11 differ by up to 32 RMS over whole images, all of it inside text boxes). So the check is
# in two parts that a version change leaves alone but a stale figure fails:
#  - the labels: the text of every label, in drawing order, read from the SVG (matplotlib writes each
#    text as a comment), must be identical, as must the SVG's size;
#  - the drawing: the PNGs, with every label's box (padded by TEXT_PAD_PX) painted white in both, must
#    agree within RMS_TOL by matplotlib.testing.compare.compare_images (0-255 scale; 3.7 vs 3.11: 0.0).
RMS_TOL = 1.0
TEXT_PAD_PX = 3


def svg_labels(path):
    """Every label of a matplotlib SVG in drawing order, and the SVG's width and height."""
    text = Path(path).read_text(encoding="utf-8")
    size = re.search(r'<svg[^>]*\swidth="([^"]+)"[^>]*\sheight="([^"]+)"', text)
    labels = re.findall(r'<g id="text_\d+">\s*<!-- (.*?) -->', text, flags=re.S)
    return labels, (size.group(1), size.group(2)) if size else None


def text_mask(name, shape):
    """Pixels of the PNG of figure ``name`` covered by a label (drawn now, at the saved dpi)."""
    with diagrams._style():
        fig = diagrams.FIGURES[name]()
        fig.set_dpi(diagrams.DPI)
        renderer = FigureCanvasAgg(fig).get_renderer()
        boxes = [t.get_window_extent(renderer) for t in fig.findobj(Text) if t.get_text() and t.get_visible()]
    height, width = shape[:2]
    mask = np.zeros((height, width), bool)
    for b in boxes:
        x0, x1 = max(int(b.x0) - TEXT_PAD_PX, 0), int(np.ceil(b.x1)) + TEXT_PAD_PX
        y0, y1 = max(height - int(np.ceil(b.y1)) - TEXT_PAD_PX, 0), height - int(b.y0) + TEXT_PAD_PX
        mask[y0:y1, x0:x1] = True
    return mask


def stale_reasons(name, new_dir, old_dir=IMG, work_dir=None):
    """Why ``old_dir``'s figure ``name`` is not what ``new_dir`` holds (an empty list: current)."""
    svg_new, svg_old = Path(new_dir) / f"{name}.svg", Path(old_dir) / f"{name}.svg"
    png_new, png_old = Path(new_dir) / f"{name}.png", Path(old_dir) / f"{name}.png"
    if not (svg_old.exists() and png_old.exists()):
        return [f"{name}: missing from {old_dir}"]
    reasons = []
    (labels_new, size_new), (labels_old, size_old) = svg_labels(svg_new), svg_labels(svg_old)
    if labels_new != labels_old:
        changed = [f"{a!r} -> {b!r}" for a, b in zip(labels_old, labels_new) if a != b]
        reasons.append(f"{name}.svg: labels differ ({len(labels_old)} committed, {len(labels_new)} now; "
                       f"{', '.join(changed[:5]) or 'labels added or removed'})")
    if size_new != size_old:
        reasons.append(f"{name}.svg: size {size_old} committed, {size_new} now")
    new, old = mpimg.imread(png_new)[..., :3], mpimg.imread(png_old)[..., :3]
    if new.shape != old.shape:
        return reasons + [f"{name}.png: shape {old.shape} committed, {new.shape} now"]
    mask = text_mask(name, new.shape)
    work = Path(work_dir or tempfile.mkdtemp())
    for label, image in (("new", new), ("old", old)):
        image = image.copy()
        image[mask] = 1.0
        mpimg.imsave(work / f"{name}-{label}.png", image)
    result = compare_images(str(work / f"{name}-old.png"), str(work / f"{name}-new.png"), tol=RMS_TOL)
    if result is not None:
        reasons.append(f"{name}.png: the drawing outside the labels differs: {result}")
    return reasons


@pytest.mark.parametrize("name", sorted(diagrams.FIGURES))
def test_committed_images_are_current(regenerated, name, tmp_path):
    reasons = stale_reasons(name, regenerated, work_dir=tmp_path)
    assert not reasons, "; ".join(reasons) + f"; {STALE}"


def test_editing_one_label_makes_the_figure_stale(tmp_path):
    """The check above is not blind: a copy of the package with one label edited fails it."""
    copy = tmp_path / "pkg"
    shutil.copytree(ROOT / "lstm_helpers", copy / "lstm_helpers",
                    ignore=shutil.ignore_patterns("__pycache__"))
    sources = [copy / "lstm_helpers" / "tools" / name for name in ("diagrams.py", "cell_drawing.py")]
    texts = [source.read_text(encoding="utf-8") for source in sources]
    labels, _ = svg_labels(IMG / "forget.svg")
    literal = next((q + lab + q for lab in labels if lab.isascii() and len(lab) >= 4
                    for q in ('"', "'") if any((q + lab + q) in text for text in texts)), None)
    assert literal, "no label of forget.svg appears as a plain string literal in tools/diagrams.py or cell_drawing.py"
    for source, text in zip(sources, texts):  # every occurrence: the label may be drawn from either file
        source.write_text(text.replace(literal, literal[:-1] + " (edited)" + literal[-1]), encoding="utf-8")
    out = tmp_path / "img"
    env = {**os.environ, "PYTHONPATH": str(copy)}
    subprocess.run([sys.executable, "-m", "lstm_helpers.tools.diagrams", str(out), "forget"],
                   cwd=copy, env=env, check=True, capture_output=True)
    reasons = stale_reasons("forget", out, work_dir=tmp_path)
    assert any("labels differ" in r and "(edited)" in r for r in reasons), reasons


def test_a_moved_shape_makes_the_figure_stale(tmp_path):
    """A drawing change outside the labels fails too: shift the committed PNG's pixels by 2."""
    shifted = tmp_path / "img"
    shifted.mkdir()
    shutil.copy(IMG / "forget.svg", shifted / "forget.svg")
    image = mpimg.imread(IMG / "forget.png")
    mpimg.imsave(shifted / "forget.png", np.roll(image, 2, axis=1))
    reasons = stale_reasons("forget", shifted, work_dir=tmp_path)
    assert any("outside the labels" in r for r in reasons), reasons


def test_img_has_every_figure_with_svg_twin():
    for name in SEED_FIGURES + ["rnn_unrolled", "cell_state_highway", "lstm_peephole"]:
        assert name in diagrams.FIGURES
        for ext in ("png", "svg"):
            assert (IMG / f"{name}.{ext}").is_file(), f"img/{name}.{ext} is missing; run `make images`"
    stems = {p.stem for p in IMG.glob("*.png")}
    assert stems == {p.stem for p in IMG.glob("*.svg")}, "every PNG in img/ needs an SVG twin"
    assert set(diagrams.FIGURES) <= stems


def test_generation_is_byte_stable(tmp_path, regenerated):
    paths = diagrams.generate_all(tmp_path, names=["forget", "cell_state_highway"])
    assert [p.name for p in paths] == ["forget.png", "forget.svg",
                                       "cell_state_highway.png", "cell_state_highway.svg"]
    for p in paths:
        assert p.read_bytes() == (regenerated / p.name).read_bytes(), p.name
    assert not list(tmp_path.glob(".*.tmp")), "atomic writes left temporary files behind"


@pytest.mark.parametrize("name", sorted(diagrams.FIGURES))
def test_labels_stay_inside_and_do_not_overlap(name):
    with diagrams._style():
        fig = diagrams.FIGURES[name]()
        assert isinstance(fig, Figure)
        renderer = FigureCanvasAgg(fig).get_renderer()
        width, height = fig.get_size_inches()
        assert 5.5 <= width <= 9.5 and height <= 6.5, f"{name}: {width:.1f} x {height:.1f} in"
        frame = fig.bbox
        boxes = [(t.get_text(), t.get_window_extent(renderer))
                 for t in fig.findobj(Text) if t.get_text() and t.get_visible()]
    for text, box in boxes:
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1, \
            f"{name}: label {text!r} is cut off by the figure edge"
    for k, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[k + 1:]:
            assert not box_a.overlaps(box_b), f"{name}: labels {a!r} and {b!r} overlap"


def test_png_files_stay_small():
    for path in IMG.glob("*.png"):
        assert path.stat().st_size < 150_000, f"{path.name} is {path.stat().st_size} bytes"


def test_out_dir_that_is_a_file_is_rejected(tmp_path):
    a_file = tmp_path / "not_a_folder.txt"
    a_file.write_text("x")
    with pytest.raises(ValueError, match="out_dir"):
        diagrams.generate_all(a_file)
    with pytest.raises(ValueError, match="out_dir"):
        diagrams.save_figure("forget", a_file / "sub")
    with pytest.raises(ValueError, match="out_dir"):
        diagrams.generate_all(3)


def test_unknown_figure_names_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="name.*'nope'"):
        diagrams.save_figure("nope", tmp_path)
    with pytest.raises(ValueError, match="names.*'nope'"):
        diagrams.generate_all(tmp_path, names=["forget", "nope"])
    with pytest.raises(ValueError, match="names"):
        diagrams.generate_all(tmp_path, names="forget")
    assert list(tmp_path.iterdir()) == [], "nothing may be written when the arguments are bad"


def test_draw_cell_rejects_unknown_parts():
    fig = Figure()
    ax = fig.add_subplot()
    with pytest.raises(ValueError, match="highlight.*'gate'"):
        diagrams.draw_cell(ax, highlight=["forget", "gate"])
    with pytest.raises(ValueError, match="io_labels"):
        diagrams.draw_cell(ax, io_labels="left")


def test_import_changes_no_rcparams():
    code = ("import matplotlib as m; before = dict(m.rcParams); import lstm_helpers.tools.diagrams as d; "
            "d.draw_forget(); assert dict(m.rcParams) == before")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_cli_writes_all_figures(cli_run):
    out, result = cli_run
    assert result.returncode == 0, result.stderr
    expected = sorted(f"{n}.{ext}" for n in diagrams.FIGURES for ext in ("png", "svg"))
    assert sorted(p.name for p in out.iterdir()) == expected
    assert sorted(Path(line).name for line in result.stdout.split()) == expected


def test_cli_reports_bad_names(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lstm_helpers.tools.diagrams", str(tmp_path), "nope"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert "names" in result.stderr and "nope" in result.stderr
