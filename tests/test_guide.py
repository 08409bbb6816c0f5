"""The lecturer's guide: a section per notebook with every required part, misconceptions matching the checkers."""

import re
from pathlib import Path

from lstm_helpers.tools import guide

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "notebooks" / "lecturer_guide.md"
PARTS = ("**Objectives.**", "**45-minute plan.**", "**Run live / widget.**", "**Discussion questions.**",
         "**Misconceptions its checkers catch.**", "**Homework.**")


def _sections(text):
    return dict(re.findall(r"^## (\d\d) ·[^\n]*\n(.*?)(?=^## |\Z)", text, re.S | re.M))


def test_guide_covers_every_notebook_with_every_part():
    sections = _sections(GUIDE.read_text(encoding="utf-8"))
    numbers = sorted({p.name[:2] for p in (ROOT / "notebooks").glob("[01][0-9]_*.ipynb")} | {f"{k:02d}" for k in range(12)})
    assert sorted(sections) == numbers
    for nn, body in sections.items():
        missing = [p for p in PARTS if p not in body]
        assert not missing, f"notebook {nn}: the guide lacks {missing}"
        questions = body.split("**Discussion questions.**")[1].split("**Misconceptions")[0]
        assert len(re.findall(r"^\d\. ", questions, re.M)) == 3, f"notebook {nn}: not 3 discussion questions"
        plan = body.split("**45-minute plan.**")[1].split("**Run live")[0]
        ends = [int(m) for m in re.findall(r"^- \d+-(\d+) min", plan, re.M)]
        assert ends and ends[-1] == 45, f"notebook {nn}: the plan does not end at 45 minutes"
        assert f"<!-- misconceptions nb{nn} -->" in body


def test_misconceptions_are_generated_from_the_checkers_data():
    text = GUIDE.read_text(encoding="utf-8")
    assert guide.render(text) == text, "run: python -m lstm_helpers.tools.guide notebooks/lecturer_guide.md"
    from lstm_helpers.course import nb03
    for items in nb03.MISTAKES.values():
        for mistake in items:
            assert mistake.message in text


def test_render_replaces_only_the_blocks():
    text = "before\n<!-- misconceptions nb03 -->\nstale\n<!-- /misconceptions -->\nafter\n"
    new = guide.render(text)
    assert new.startswith("before\n<!-- misconceptions nb03 -->\n- `forget_gate`:") and new.endswith("after\n")
    assert "stale" not in new
