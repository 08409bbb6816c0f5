"""The text of a translation: what it must carry over from the English, the glossary, and the two
rewrites the build makes (links re-rooted for notebooks/zh/, hard-wrapped Chinese lines joined).

Plain functions on markdown strings; ``translate`` (catalogues, build, commands) uses them.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..utils import PROJECT_ROOT

LANG = "zh_CN"
CATALOGUES = Path("locale") / LANG           # relative to a project root
GLOSSARY = CATALOGUES / "glossary.tsv"
ZH_NOTEBOOKS = Path("notebooks") / "zh"
README_ZH = Path("README.zh-CN.md")


# ----------------------------------------------------------------------------------------------
# Checks of one translation against its English


_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+(?:\n[^$\n]+)?\$", re.S)  # inline math may cross one line break
_CODE = re.compile(r"`[^`\n]+(?:\n[^`\n]+)?`")  # a code span may cross one line break
_FENCE = re.compile(r"```.*?```", re.S)
LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HTML_SRC = re.compile(r"""\b(?:src|href)=["']([^"']+)["']""")
_NUMBER = re.compile(r"(?<![\w.])[-+−]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?%?(?![\w])")


def _norm_space(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def prose(text: str) -> str:
    """The text with fenced code, inline code, math, HTML tags and link targets removed, and the text of
    links to the web too (the titles of papers and pages, which stay in English)."""
    t = _FENCE.sub(" ", text)
    t = _MATH.sub(" ", t)
    t = _CODE.sub(" ", t)
    t = re.sub(r"\[[^\]\n]*\]\(https?://[^)\s]*(?:\s+\"[^\"]*\")?\)", " ", t)
    t = LINK.sub("] ", t)
    t = re.sub(r"<[^>]+>", " ", t)
    return t


def _numbers(text: str) -> Counter:
    return Counter(m.group(0).replace(",", "").replace("−", "-").lstrip("+")
                   for m in _NUMBER.finditer(prose(text)))


def structure(text: str) -> dict:
    """What a translation must carry over unchanged: math, code, link targets, headings, notes marks."""
    return {
        "math": Counter(_norm_space(m) for m in _MATH.findall(_FENCE.sub(" ", text))),
        "code": Counter(_norm_space(c) for c in _CODE.findall(_FENCE.sub(" ", text))) + Counter(_FENCE.findall(text)),
        "links": Counter(LINK.findall(text)) + Counter(HTML_SRC.findall(text)),
        "headings": [len(m) for m in re.findall(r"(?m)^(#{1,6}) ", _FENCE.sub(" ", text))],
        "comments": Counter(re.findall(r"<!--.*?-->", text)),
    }


def _points_to_chinese(target: str) -> bool:
    return target.startswith(("zh/", "notebooks/zh/")) or target == str(README_ZH)


def mismatches(english: str, chinese: str) -> list[str]:
    """What the translation lost or changed of the English's math, code, links, headings and numbers."""
    a, b = structure(english), structure(chinese)
    out = []
    for kind in ("math", "code", "links", "comments"):
        lost = a[kind] - b[kind]
        extra = b[kind] - a[kind]
        if kind == "links":  # the English edition's pointers to the Chinese one become pointers back
            lost = Counter({k: v for k, v in lost.items() if not _points_to_chinese(k)})
        if lost:
            out.append(f"{kind} missing: {', '.join(list(lost)[:3])[:120]}")
        if extra and kind != "links":  # a translation may add a link (to the English original, say)
            out.append(f"{kind} not in the English: {', '.join(list(extra)[:3])[:120]}")
    if a["headings"] != b["headings"]:
        out.append(f"headings {a['headings']} in the English, {b['headings']} in the translation")
    lost = _numbers(english) - _numbers(chinese)
    if lost:
        out.append(f"numbers missing: {', '.join(sorted(lost))[:120]}")
    return out


# ----------------------------------------------------------------------------------------------
# Glossary


@dataclass
class Term:
    en: str
    zh: str
    avoid: tuple = ()
    note: str = ""
    pattern: re.Pattern = field(init=False, repr=False)

    def __post_init__(self):
        words = [re.escape(w) for w in self.en.split()]
        self.pattern = re.compile(r"(?<![\w-])" + r"[\s-]+".join(words) + r"(?:s|es)?(?![\w])", re.I)


def load_glossary(root=PROJECT_ROOT) -> list[Term]:
    """The terminology table: English, its one Chinese rendering, renderings to avoid, a note."""
    path = Path(root) / GLOSSARY
    lines = [l for l in path.read_text(encoding="utf-8").splitlines() if l.strip() and not l.startswith("#")]
    head, rows = lines[0].split("\t"), lines[1:]
    if head[:2] != ["en", "zh"]:
        raise ValueError(f"{path}: expected the columns en, zh, avoid, note; got {head}")
    terms = []
    for n, line in enumerate(rows, 2):
        cols = line.split("\t") + ["", ""]
        if not cols[0].strip() or not cols[1].strip():
            raise ValueError(f"{path}:{n}: expected an English term and its Chinese rendering, got {line!r}")
        terms.append(Term(cols[0].strip(), cols[1].strip(),
                          tuple(a.strip() for a in cols[2].split(",") if a.strip()), cols[3].strip()))
    return terms


def glossary_problems(english: str, chinese: str, terms) -> list[str]:
    """Each glossary term in the English prose needs its rendering in the translation; avoided ones never."""
    en, zh = prose(english), prose(chinese)
    out = []
    for t in terms:
        if t.pattern.search(en) and t.zh not in zh:
            out.append(f"'{t.en}' should be rendered {t.zh}")
        for a in t.avoid:
            if a in zh:
                out.append(f"{a} is not the glossary's rendering of '{t.en}' ({t.zh})")
    return out


# ----------------------------------------------------------------------------------------------
# Rewrites the build makes


def rewrite_links(markdown: str, twins, depth_from: Path = Path("notebooks"), depth_to: Path = ZH_NOTEBOOKS) -> str:
    """Relative links written for ``depth_from`` made to work from ``depth_to``.

    A link to a notebook by its bare name points at its Chinese twin and stays; any other relative
    target (images, results, the README, ``../notebooks/NN.ipynb`` for the English original) is
    re-rooted. URLs, anchors and absolute paths are left alone.
    """
    def fix(target: str) -> str:
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target, re.I) or target.startswith("data:"):
            return target
        path, sep, anchor = target.partition("#")
        if path in twins:
            return target
        rel = os.path.relpath(os.path.normpath(depth_from / path), depth_to)
        return rel.replace(os.sep, "/") + sep + anchor

    out = LINK.sub(lambda m: m.group(0).replace(m.group(1), fix(m.group(1)), 1), markdown)
    return HTML_SRC.sub(lambda m: m.group(0).replace(m.group(1), fix(m.group(1)), 1), out)


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\u2018-\u201f\u2026\u2014"
_CJK_END = re.compile(f"[{_CJK}]$")
_CJK_PUNCT_END = re.compile("[\u3000-\u303f\uff00-\uffef\u2018-\u201f\u2026\u2014]$")
_BLOCK_START = re.compile(r"^\s*(?:[-*+] |\d+[.)] |#|\||>|\$\$|```|<|!\[|$)")


def join_cjk_lines(markdown: str) -> str:
    """Join a paragraph's hard-wrapped lines where a line ends in Chinese.

    Markdown renders a line break inside a paragraph as a space, which shows as a stray gap between
    two Chinese characters; translators may still wrap their lines in the catalogue. A line ending in
    Chinese punctuation joins the next directly; one ending in a Chinese character joins with nothing
    before Chinese and one space before Latin text, math or code. Code blocks, tables, lists and headings
    are left as they are (a list item's or a quote's own continuation lines are joined into it).
    """
    out: list[str] = []
    fence = False
    for line in markdown.split("\n"):
        if line.lstrip().startswith("```"):
            fence = not fence
            out.append(line)
            continue
        prev = out[-1] if out else ""
        quote = prev.startswith(">") and line.startswith(">") and bool(line[1:].strip())
        body = line[1:].lstrip() if quote else line.lstrip()
        visible = re.sub(r"\]\([^)]*\)$", "", prev).rstrip("*_]")  # a link or emphasis closing the line
        if (not fence and out and _CJK_END.search(visible) and not prev.lstrip().startswith(("|", "#"))
                and (quote or not _BLOCK_START.match(line))):
            sep = "" if _CJK_PUNCT_END.search(visible) or re.match(f"[*_\\[]*[{_CJK}]", body) else " "
            out[-1] = prev + sep + body
        else:
            out.append(line)
    return "\n".join(out)


def unrendered_emphasis(markdown: str) -> list[str]:
    """Stretches where ``**`` or ``*`` would show as literal stars once the markdown is rendered.

    CommonMark closes ``**`` after punctuation only before a space or more punctuation, so
    ``**讲师：**运行`` stays literal: write ``**讲师**：运行``. Rendered with mistune (nbconvert's parser,
    the same flanking rules as JupyterLab's); math and code are set aside first.
    """
    import mistune

    text = _FENCE.sub(" ", markdown)
    text = _MATH.sub("M", text)
    text = _CODE.sub("C", text)
    html = re.sub(r"<[^>]+>", "", mistune.create_markdown()(text))
    return re.findall(r".{0,15}\*\*.{0,15}|.{0,15}(?<![*\\])\*(?!\*).{0,15}", html)
