"""The Chinese edition (中文版): gettext catalogues in, Chinese notebooks and README out.

One catalogue per notebook, ``locale/zh_CN/<notebook>.po``, holds one entry per markdown cell, keyed by
the cell's English text (``msgid``); ``locale/zh_CN/README.po`` holds the README's user-facing
paragraphs. Translators edit the catalogues with any gettext tool (Poedit, Weblate) or with the plain
text round trip below. Code cells and their outputs are never translated: the Chinese notebook is the
English one with each markdown cell replaced by its translation, so the two cannot drift in code.

    python -m lstm_helpers.tools.translate update     # catalogues follow the English (new, changed, gone)
    python -m lstm_helpers.tools.translate build      # write notebooks/zh/*.ipynb and README.zh-CN.md
    python -m lstm_helpers.tools.translate check      # what is missing, fuzzy, off-glossary or stale
    python -m lstm_helpers.tools.translate export 03 > 03.txt   # untranslated/fuzzy entries as plain text
    python -m lstm_helpers.tools.translate import 03 03.txt     # ... and back into the catalogue

``update`` works like ``msgmerge``: an edited English cell keeps its old translation marked *fuzzy*,
with the old English as ``#| msgid`` so a translator sees what changed; the build refuses fuzzy and
missing entries, naming each one. ``make zh`` runs ``update`` then ``build``.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ..utils import PROJECT_ROOT, atomic_write
from .notebooks import dumps_notebook
from .zh_text import (CATALOGUES, LANG, README_ZH, ZH_NOTEBOOKS, _norm_space, glossary_problems, join_cjk_lines,
                      load_glossary, mismatches, prose, rewrite_links)

README_EN = Path("README.md")
# The README's user-facing part: the introduction (before the first "## ") and these sections.
README_SECTIONS = ("Two commands", "The series", "Conventions", "References")
WRAP = 0  # catalogues keep each English line as one line (stable diffs; Poedit and Weblate accept it)

HEADER = {
    "Project-Id-Version": "lstm-gate-by-gate",
    "Language": LANG,
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=1; plural=0;",
}


class TranslationError(ValueError):
    """A catalogue that cannot make a Chinese notebook: the message names every entry at fault."""


def _polib():
    try:
        import polib
    except ImportError as exc:  # pragma: no cover - polib is in the test extra and the lock
        raise SystemExit("translate: needs polib (pip install -e '.[test]')") from exc
    return polib


# ----------------------------------------------------------------------------------------------
# What gets translated


def english_notebooks(root=PROJECT_ROOT) -> list[Path]:
    """The numbered English notebooks (``notebooks/NN_*.ipynb``); each gets a Chinese twin."""
    return sorted((Path(root) / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def catalogue_path(source: Path, root=PROJECT_ROOT) -> Path:
    return Path(root) / CATALOGUES / (source.stem + ".po")


def notebook_units(path: Path) -> list[tuple[str, str]]:
    """(cell id, English text) of every markdown cell, in order."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return [(c.get("id", str(i)), "".join(c["source"])) for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "markdown" and "".join(c["source"]).strip()]


def _readme_sections(text: str) -> list[tuple[str, str]]:
    """(section title, body) pairs; the introduction before the first ``## `` has the title ''."""
    parts = re.split(r"(?m)^## ", text)
    out = [("", parts[0])]
    for part in parts[1:]:
        title, _, body = part.partition("\n")
        out.append((title.strip(), "## " + part))
    return out


def _blocks(text: str) -> list[str]:
    """Paragraph blocks separated by blank lines; a fenced code block stays whole."""
    blocks, cur, fence = [], [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fence = not fence
        if not line.strip() and not fence:
            if cur:
                blocks.append("\n".join(cur))
                cur = []
        else:
            cur.append(line)
    if cur:
        blocks.append("\n".join(cur))
    return blocks


def readme_units(path: Path) -> list[tuple[str, str]]:
    """(position, English block) of the README's user-facing paragraphs."""
    units = []
    for title, body in _readme_sections(Path(path).read_text(encoding="utf-8")):
        if title == "" or title in README_SECTIONS:
            for k, block in enumerate(_blocks(body)):
                units.append((f"{title or 'intro'}/{k}", block))
    return units


def _sources(root) -> list[tuple[Path, Path, list[tuple[str, str]]]]:
    """(English file, its catalogue, its units) for every notebook and the README."""
    root = Path(root)
    out = [(p, catalogue_path(p, root), notebook_units(p)) for p in english_notebooks(root)]
    if (root / README_EN).is_file():
        out.append((root / README_EN, root / CATALOGUES / "README.po", readme_units(root / README_EN)))
    return out


# ----------------------------------------------------------------------------------------------
# Catalogues


def _new_catalogue():
    po = _polib().POFile(wrapwidth=WRAP)
    po.metadata = dict(HEADER)
    return po


def load_catalogue(path: Path):
    polib = _polib()
    if not Path(path).is_file():
        return _new_catalogue()
    po = polib.pofile(str(path), wrapwidth=WRAP)
    return po


def save_catalogue(po, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w") as fh:
        fh.write(str(po) + "\n" if not str(po).endswith("\n") else str(po))


def _occurrence(source: Path, key: str) -> tuple[str, str]:
    return (source.name, key)


def _key(occurrence) -> str:
    """The cell id (or README position) of an occurrence; polib reads a non-numeric one into the name."""
    name, line = occurrence
    return line or name.rpartition(":")[2]


@dataclass
class UpdateStats:
    kept: int = 0
    new: int = 0
    fuzzy: int = 0
    obsolete: int = 0

    def __str__(self):
        return f"{self.kept} kept, {self.new} new, {self.fuzzy} changed (fuzzy), {self.obsolete} gone (obsolete)"


def update_catalogue(po, source: Path, units) -> UpdateStats:
    """Make ``po`` follow ``units`` as msgmerge would; returns what changed. ``po`` is edited in place."""
    polib = _polib()
    stats = UpdateStats()
    old = {e.msgid: e for e in po if not e.obsolete}
    by_key = {}
    for e in po:
        for occ in e.occurrences:
            by_key.setdefault(_key(occ), e)
    entries, seen, consumed = [], set(), set()
    for key, text in units:
        if text in seen:  # the same English twice: one entry, two occurrences
            next(e for e in entries if e.msgid == text).occurrences.append(_occurrence(source, key))
            continue
        seen.add(text)
        if text in old:
            e = old[text]
            e.occurrences = [_occurrence(source, key)]
            stats.kept += 1
        else:
            e = polib.POEntry(msgid=text, msgstr="", occurrences=[_occurrence(source, key)])
            prev = by_key.get(key)
            if prev is not None and prev.msgstr and prev.msgid not in {t for _, t in units}:
                e.msgstr = prev.msgstr
                e.flags = ["fuzzy"]
                e.previous_msgid = prev.msgid
                consumed.add(prev.msgid)
                stats.fuzzy += 1
            else:
                stats.new += 1
        entries.append(e)
    used = {e.msgid for e in entries} | consumed  # a translation carried into a fuzzy entry is not kept twice
    gone = []
    for e in po:
        if e.msgid not in used and e.msgstr and not e.obsolete:
            e.obsolete = True
            e.occurrences = []
            gone.append(e)
            stats.obsolete += 1
        elif e.obsolete and e.msgid not in used:
            gone.append(e)
    po[:] = entries + gone
    return stats


def current(po) -> dict[str, str]:
    """English -> Chinese for the entries that are translated and not fuzzy."""
    return {e.msgid: e.msgstr for e in po if not e.obsolete and e.msgstr.strip() and "fuzzy" not in e.flags}


# ----------------------------------------------------------------------------------------------
# Building


def _twins(root) -> set[str]:
    return {p.name for p in english_notebooks(root)}


def _missing(units, po, source: Path) -> list[str]:
    tr = current(po)
    fuzzy = {e.msgid for e in po if "fuzzy" in e.flags and not e.obsolete}
    out = []
    for key, text in units:
        if text not in tr:
            state = "fuzzy (the English changed)" if text in fuzzy else "no translation"
            first = _norm_space(text)[:60]
            out.append(f"{source.name} [{key}] {state}: {first!r}")
    return out


def build_notebook(path: Path, po, twins) -> str:
    """The Chinese notebook for the English notebook at ``path``, as text; TranslationError if incomplete."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    missing = _missing(notebook_units(path), po, Path(path))
    if missing:
        raise TranslationError("; ".join(missing))
    tr = current(po)
    zh = copy.deepcopy(nb)
    for cell in zh["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and text.strip():
            cell["source"] = join_cjk_lines(rewrite_links(tr[text], twins)).splitlines(keepends=True)
    return dumps_notebook(zh)


def build_readme(path: Path, po) -> str:
    """README.zh-CN.md: the README's user-facing sections translated; links to notebooks go to their twins."""
    units = readme_units(path)
    missing = _missing(units, po, Path(path))
    if missing:
        raise TranslationError("; ".join(missing))
    tr = current(po)
    twins = _twins(Path(path).parent)
    to_twin = re.compile(r"\]\(notebooks/(" + "|".join(map(re.escape, sorted(twins))) + r")\)")
    sections: dict[str, list[str]] = {}
    for key, text in units:  # the README's links to notebooks point at their Chinese twins
        sections.setdefault(key.rsplit("/", 1)[0], []).append(join_cjk_lines(to_twin.sub(r"](notebooks/zh/\1)", tr[text])))
    return "\n\n".join("\n\n".join(blocks) for blocks in sections.values()) + "\n"


def build_all(root=PROJECT_ROOT, only=None) -> dict[Path, str]:
    """Every Chinese file the catalogues make (or those of the English files named in ``only``),
    path -> text; one TranslationError naming every entry that is missing."""
    root = Path(root)
    twins = _twins(root)
    out, errors = {}, []
    for source, cat, _units in _sources(root):
        if only is not None and source.name not in only:
            continue
        po = load_catalogue(cat)
        try:
            if source.suffix == ".ipynb":
                out[root / ZH_NOTEBOOKS / source.name] = build_notebook(source, po, twins)
            else:
                out[root / README_ZH] = build_readme(source, po)
        except TranslationError as exc:
            errors.append(str(exc))
    if errors:
        raise TranslationError("\n".join(errors))
    return out


def write_all(files: dict[Path, str]) -> list[Path]:
    """Write the built files (each atomically); returns those whose text changed."""
    changed = []
    for path, text in files.items():
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, "w") as fh:
            fh.write(text)
        changed.append(path)
    return changed


# ----------------------------------------------------------------------------------------------
# The whole check (the tests and `check` share it)


def check_source(root, source: Path, cat: Path, units, terms, twins) -> list[str]:
    """The problems of one English file's translation: missing or fuzzy entries, lost math, code,
    links or numbers, glossary terms, and a Chinese file that is not what the build writes."""
    root = Path(root)
    if not cat.is_file():
        return [f"{cat.relative_to(root)}: no catalogue (python -m lstm_helpers.tools.translate update)"]
    po = load_catalogue(cat)
    problems = _missing(units, po, source)
    tr = current(po)
    for key, text in units:
        if text in tr:
            for p in mismatches(text, tr[text]) + glossary_problems(text, tr[text], terms):
                problems.append(f"{source.name} [{key}] {p}")
    if problems:
        return problems
    target = root / (ZH_NOTEBOOKS / source.name if source.suffix == ".ipynb" else README_ZH)
    built = build_notebook(source, po, twins) if source.suffix == ".ipynb" else build_readme(source, po)
    if not target.is_file():
        problems.append(f"{target.relative_to(root)}: missing (python -m lstm_helpers.tools.translate build)")
    elif target.read_text(encoding="utf-8") != built:
        problems.append(f"{target.relative_to(root)}: not what the build writes from {source.name} and "
                        f"{cat.name} (python -m lstm_helpers.tools.translate build)")
    return problems


def check(root=PROJECT_ROOT) -> list[str]:
    """Every problem of the Chinese edition, one line each; empty when it is complete and in step."""
    root = Path(root)
    terms, twins = load_glossary(root), _twins(root)
    problems = []
    for source, cat, units in _sources(root):
        problems += check_source(root, source, cat, units, terms, twins)
    extra = sorted(p.name for p in (root / ZH_NOTEBOOKS).glob("*.ipynb") if p.name not in twins)
    problems += [f"{ZH_NOTEBOOKS / name}: no English notebook of that name" for name in extra]
    return problems


# ----------------------------------------------------------------------------------------------
# Plain-text round trip for translators without a gettext tool

_BLOCK = re.compile(r"^===== ([^\n]*) =====\n--- en\n(.*?)\n--- zh\n(.*?)(?=\n===== |\Z)", re.S | re.M)


def export_text(po, terms, only_open: bool = True) -> str:
    """Entries as plain text blocks: the English, then the Chinese to write (no escaping needed)."""
    parts = []
    for e in po:
        if e.obsolete or (only_open and e.msgstr and "fuzzy" not in e.flags):
            continue
        where = ", ".join(_key(o) for o in e.occurrences)
        state = "fuzzy" if "fuzzy" in e.flags else ("translated" if e.msgstr else "missing")
        need = [f"{t.en}={t.zh}" for t in terms if t.pattern.search(prose(e.msgid))]
        head = f"{where} · {state}" + (f" · terms: {'; '.join(need)}" if need else "")
        if e.previous_msgid:
            head += " · the English changed (old English in the catalogue)"
        parts.append(f"===== {head} =====\n--- en\n{e.msgid}\n--- zh\n{e.msgstr}\n")
    return "\n".join(parts)


def import_text(po, text: str, terms) -> tuple[int, list[str]]:
    """Take translations from ``export_text``'s format; returns (entries set, problems found)."""
    by_id = {e.msgid: e for e in po if not e.obsolete}
    n, problems = 0, []
    blocks = _BLOCK.findall(text.replace("\r\n", "\n"))
    if not blocks and text.strip():
        raise TranslationError("import: expected blocks of '===== ... =====', '--- en', '--- zh'; found none")
    for head, en, zh in blocks:
        zh = zh.rstrip("\n")
        if en not in by_id:
            problems.append(f"[{head[:40]}] this English is not in the catalogue (changed since export?): "
                            f"{_norm_space(en)[:60]!r}")
            continue
        if not zh.strip():
            continue
        e = by_id[en]
        e.msgstr = zh
        e.flags = [f for f in e.flags if f != "fuzzy"]
        e.previous_msgid = None
        n += 1
        for p in mismatches(en, zh) + glossary_problems(en, zh, terms):
            problems.append(f"[{head.split(' · ')[0]}] {p}")
    return n, problems


# ----------------------------------------------------------------------------------------------
# Command line


def _find_source(root: Path, name: str) -> tuple[Path, Path, list]:
    for source, cat, units in _sources(root):
        if source.name.startswith(name) or source.stem == name:
            return source, cat, units
    raise SystemExit(f"translate: notebook: expected a notebook number or name (00, 03_forget_gate, README), got {name!r}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_helpers.tools.translate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help="project folder (default: this repository)")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("update", help="make the catalogues follow the English text")
    bu = sub.add_parser("build", help="write notebooks/zh/*.ipynb and README.zh-CN.md")
    bu.add_argument("notebook", nargs="*", help="only these (number or name); default: all")
    sub.add_parser("check", help="list what is missing, fuzzy, off-glossary or stale; exit 1 if anything")
    ex = sub.add_parser("export", help="untranslated and fuzzy entries of one catalogue as plain text")
    ex.add_argument("notebook")
    ex.add_argument("--all", action="store_true", help="every entry, translated ones too")
    im = sub.add_parser("import", help="read translations back from export's plain text")
    im.add_argument("notebook")
    im.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not (root / "notebooks").is_dir():
        parser.error(f"--root: expected a project folder with notebooks/, got {root}")

    if args.cmd == "update":
        for source, cat, units in _sources(root):
            po = load_catalogue(cat)
            stats = update_catalogue(po, source, units)
            save_catalogue(po, cat)
            print(f"{cat.relative_to(root)}: {stats}")
        return 0
    if args.cmd == "build":
        try:
            only = {_find_source(root, n)[0].name for n in args.notebook} if args.notebook else None
            files = build_all(root, only)
        except TranslationError as exc:
            print("translate build: not written, these entries have no current translation:", file=sys.stderr)
            print(str(exc).replace("; ", "\n"), file=sys.stderr)
            return 1
        changed = write_all(files)
        print(f"{len(files)} files built, {len(changed)} changed: " + ", ".join(str(p.relative_to(root)) for p in changed))
        return 0
    if args.cmd == "check":
        problems = check(root)
        for p in problems:
            print(p)
        print(f"{len(problems)} problems" if problems else "the Chinese edition is complete and in step")
        return 1 if problems else 0
    source, cat, units = _find_source(root, args.notebook)
    po = load_catalogue(cat)
    terms = load_glossary(root)
    if args.cmd == "export":
        sys.stdout.write(export_text(po, terms, only_open=not args.all))
        return 0
    if not args.file.is_file():
        parser.error(f"file: expected a text file written by export, {args.file} does not exist")
    try:
        n, problems = import_text(po, args.file.read_text(encoding="utf-8"), terms)
    except TranslationError as exc:
        parser.error(str(exc))
    save_catalogue(po, cat)
    for p in problems:
        print(p)
    print(f"{cat.relative_to(root)}: {n} entries set; {len(problems)} problems")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
