"""The lecturer's guide's generated part: each notebook's misconceptions, read from its checkers' MISTAKES data.

`python -m lstm_helpers.tools.guide notebooks/lecturer_guide.md` rewrites the blocks between
``<!-- misconceptions nbNN -->`` and ``<!-- /misconceptions -->``; ``--check`` changes nothing and exits 1
when a block no longer matches the data (tests/test_guide.py runs it), so the guide cannot drift.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

from lstm_helpers.utils import atomic_write

BLOCK = re.compile(r"(<!-- misconceptions nb(\d\d) -->\n)(.*?)(<!-- /misconceptions -->)", re.S)


def misconceptions(nn):
    """The markdown list of notebook nn's checker mistakes, one bullet per exercise; None if no course module."""
    try:
        module = importlib.import_module(f"lstm_helpers.course.nb{nn}")
    except ModuleNotFoundError:
        return None
    mistakes = getattr(module, "MISTAKES", {})
    if not mistakes:
        return "_This notebook's checkers name no typical mistakes._\n"
    lines = []
    for exercise, items in mistakes.items():
        lines.append(f"- `{exercise}`:")
        lines.extend(f"  - {m.message}" for m in items)
    return "\n".join(lines) + "\n"


def render(text):
    """The guide text with every misconceptions block regenerated from the data."""
    def block(match):
        generated = misconceptions(match.group(2))
        if generated is None:
            generated = (f"_`lstm_helpers/course/nb{match.group(2)}.py` is not in this checkout: "
                         "run `python -m lstm_helpers.tools.guide` once it is._\n")
        return match.group(1) + generated + match.group(4)
    return BLOCK.sub(block, text)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lstm_helpers.tools.guide", description=__doc__.splitlines()[0])
    parser.add_argument("guide", nargs="?", default="notebooks/lecturer_guide.md")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if the guide is out of date")
    args = parser.parse_args(argv)
    path = Path(args.guide)
    text = path.read_text(encoding="utf-8")
    new = render(text)
    if new == text:
        print(f"{path}: up to date")
        return 0
    if args.check:
        print(f"{path}: misconceptions out of date, run python -m lstm_helpers.tools.guide {path}")
        return 1
    with atomic_write(path, "w") as f:
        f.write(new)
    print(f"{path}: misconceptions regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
