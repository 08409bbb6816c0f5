"""Tests for lstm_helpers.tools.diagrams: the committed img/ folder is current, complete and well formed."""

import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
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


@pytest.mark.parametrize("name", sorted(diagrams.FIGURES))
def test_committed_images_are_current(regenerated, name):
    svg_new, svg_old = regenerated / f"{name}.svg", IMG / f"{name}.svg"
    png_new, png_old = regenerated / f"{name}.png", IMG / f"{name}.png"
    assert svg_old.exists() and png_old.exists(), f"{name}: missing from img/; {STALE}"
    assert svg_new.read_text(encoding="utf-8") == svg_old.read_text(encoding="utf-8"), f"{name}.svg: {STALE}"
    new, old = mpimg.imread(png_new), mpimg.imread(png_old)
    assert new.shape == old.shape, f"{name}.png: shape {old.shape} committed, {new.shape} now; {STALE}"
    diff = float(np.max(np.abs(new.astype(np.float64) - old.astype(np.float64))))
    assert diff < 1e-6, f"{name}.png: pixels differ (max abs diff {diff:.3g}); {STALE}"


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
