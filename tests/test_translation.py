"""The Chinese edition (中文版): complete, in step with the English, on the glossary, and built, not edited.

The committed state is checked first (every English markdown cell has a current translation, the
Chinese notebooks are exactly what the build writes, their code cells and outputs are the English
ones). The rest shows on scratch copies that each check fails when it should: one English sentence
changed, a number dropped, a term rendered off-glossary, a code cell changed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

polib = pytest.importorskip("polib")

from lstm_helpers.tools import translate as tr  # noqa: E402
from lstm_helpers.tools import zh_text as zt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SOURCES = tr._sources(ROOT)
TERMS = zt.load_glossary(ROOT)
TWINS = tr._twins(ROOT)
# The seed tutorial's own terms, in the order issue 15 names them; the glossary starts with them.
SEED_TERMS = ["细胞状态", "遗忘门", "输入门", "候选状态", "输出门", "门控单元", "隐藏状态", "长期依赖", "梯度消失",
              "梯度爆炸", "时间反向传播"]


# ---------------------------------------------------------------------------------------------------
# the committed edition


def test_every_english_notebook_and_the_readme_have_a_catalogue():
    names = {src.name for src, _, _ in SOURCES}
    assert {p.name for p in tr.english_notebooks(ROOT)} | {"README.md"} == names
    assert len(names) >= 14  # 00-11, 99 and the README
    missing = [str(cat.relative_to(ROOT)) for _, cat, _ in SOURCES if not cat.is_file()]
    assert not missing, f"no catalogue: {missing} (python -m lstm_helpers.tools.translate update)"


@pytest.mark.parametrize("source", [s for s, _, _ in SOURCES], ids=lambda p: p.stem[:2] if p.suffix == ".ipynb" else "README")
def test_translation_is_complete_current_and_built(source):
    """No English cell without a current (non-fuzzy) translation; math, code, links, numbers and glossary
    terms carried over; the Chinese file is exactly what the build writes."""
    _, cat, units = next(s for s in SOURCES if s[0] == source)
    problems = tr.check_source(ROOT, source, cat, units, TERMS, TWINS)
    assert not problems, f"{len(problems)} problems, run python -m lstm_helpers.tools.translate check:\n" + \
        "\n".join(problems[:15])


def test_no_chinese_notebook_without_an_english_one():
    extra = [p.name for p in (ROOT / tr.ZH_NOTEBOOKS).glob("*.ipynb") if p.name not in TWINS]
    assert not extra


@pytest.mark.parametrize("english", tr.english_notebooks(ROOT), ids=lambda p: p.stem[:2])
def test_code_cells_and_outputs_are_the_english_ones(english):
    zh_path = ROOT / tr.ZH_NOTEBOOKS / english.name
    assert zh_path.is_file(), f"{zh_path.relative_to(ROOT)} missing: make zh"
    en, zh = (json.loads(p.read_text(encoding="utf-8")) for p in (english, zh_path))
    assert [c["cell_type"] for c in en["cells"]] == [c["cell_type"] for c in zh["cells"]]
    assert en["metadata"] == zh["metadata"]
    for k, (a, b) in enumerate(zip(en["cells"], zh["cells"])):
        assert a["metadata"] == b["metadata"], f"cell {k}: metadata differs (slide types, tags)"
        if a["cell_type"] == "code":
            assert a == b, f"cell {k} ({a.get('id')}): the code cell or its outputs differ from the English"
        else:
            assert re.search(r"[\u4e00-\u9fff]", "".join(b["source"])), f"cell {k}: no Chinese in the text cell"


@pytest.mark.parametrize("path", sorted((ROOT / tr.ZH_NOTEBOOKS).glob("*.ipynb")) + [ROOT / tr.README_ZH],
                         ids=lambda p: p.stem[:2] if p.suffix == ".ipynb" else "README")
def test_relative_links_of_the_chinese_edition_resolve(path):
    if path.suffix == ".ipynb":
        text = "\n".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                         if c["cell_type"] == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    targets = zt.LINK.findall(text) + zt.HTML_SRC.findall(text)
    local = [t.partition("#")[0] for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:|^#", t, re.I)]
    assert local, "no relative links at all?"
    broken = [t for t in local if not (path.parent / t).exists()]
    assert not broken, f"{path.name}: links that lead nowhere: {broken[:5]}"


def test_the_readme_links_to_chinese_notebooks_and_back():
    text = (ROOT / tr.README_ZH).read_text(encoding="utf-8")
    assert "](notebooks/zh/00_start_here.ipynb)" in text and "](README.md)" in text
    assert not re.search(r"\]\(notebooks/\d\d_", text), "a link to an English notebook"


def test_chinese_00_says_what_stays_english_and_links_the_original():
    nb = json.loads((ROOT / tr.ZH_NOTEBOOKS / "00_start_here.ipynb").read_text(encoding="utf-8"))
    first = "".join(nb["cells"][0]["source"])
    assert "](../00_start_here.ipynb)" in first  # the English original
    assert "英文" in first and "make lab-zh" in first


# ---------------------------------------------------------------------------------------------------
# the glossary


def test_glossary_starts_with_the_seed_terms_and_gives_one_rendering_per_term():
    zh = [t.zh for t in TERMS]
    first = zh[:len(SEED_TERMS) + 1]  # long-term and long-range dependency share 长期依赖
    for term in SEED_TERMS:
        assert term in first, f"{term} is not among the glossary's first rows"
    english = [t.en.lower() for t in TERMS]
    assert len(english) == len(set(english)), "an English term with two rows (two renderings)"
    for t in TERMS:
        assert t.zh not in t.avoid and not any(t.zh in a for a in t.avoid if a), t


def test_seed_renderings_come_from_the_seed():
    seed = next((ROOT.parent / "shared" / "seeds").glob("000_*.txt"), None)
    if seed is None:
        pytest.skip("the seed tutorial is not beside the project (shared/seeds)")
    text = seed.read_text(encoding="utf-8")
    for term in ["细胞状态", "遗忘门", "输入门", "候选状态", "输出门", "门控单元", "长期依赖"]:
        assert term in text


def test_glossary_check_catches_a_missing_and_an_avoided_rendering():
    en = "The forget gate scales the cell state; see `forget_gate` and $f_t$."
    assert zt.glossary_problems(en, "遗忘门缩放细胞状态；见 `forget_gate` 和 $f_t$。", TERMS) == []
    assert any("细胞状态" in p for p in zt.glossary_problems(en, "遗忘门缩放记忆；见 `forget_gate`。", TERMS))
    assert any("忘记门" in p for p in zt.glossary_problems(en, "遗忘门（忘记门）缩放细胞状态。", TERMS))
    # a term inside code or math does not count as prose
    assert zt.glossary_problems("Call `cell state` here.", "在这里调用 `cell state`。", TERMS) == []


# ---------------------------------------------------------------------------------------------------
# what a translation must carry over


def test_mismatches_name_lost_math_code_links_numbers_and_headings():
    en = "## 2. Gates\n\nWith $f_t = 1$ the gradient is 1.0 for 5 seeds; see `gates_forward` and [03](03_forget_gate.ipynb)."
    good = "## 2. 门\n\n当 $f_t = 1$ 时，梯度为 1.0，5 个种子皆然；见 `gates_forward` 和 [03](03_forget_gate.ipynb)。"
    assert zt.mismatches(en, good) == []
    assert any(p.startswith("math") for p in zt.mismatches(en, good.replace("$f_t = 1$", "$f_t=0$")))
    assert any(p.startswith("code") for p in zt.mismatches(en, good.replace("`gates_forward`", "gates_forward")))
    assert any(p.startswith("links") for p in zt.mismatches(en, good.replace("(03_forget_gate.ipynb)", "")))
    assert any(p.startswith("numbers") for p in zt.mismatches(en, good.replace("5 个种子", "五个种子")))
    assert any(p.startswith("headings") for p in zt.mismatches(en, good.replace("## 2.", "### 2.")))
    assert zt.mismatches("1,000 updates", "1000 次更新") == []


def test_links_are_rerooted_for_notebooks_zh():
    md = ('![cell](../img/x.png) [next](03_forget_gate.ipynb) [guide](lecturer_guide.md) '
          '[English](../notebooks/00_start_here.ipynb) [web](https://example.org/a.png) <img src="../img/y.svg">')
    out = zt.rewrite_links(md, {"03_forget_gate.ipynb", "00_start_here.ipynb"})
    assert "(../../img/x.png)" in out and "(03_forget_gate.ipynb)" in out and "(../lecturer_guide.md)" in out
    assert "(../00_start_here.ipynb)" in out and "(https://example.org/a.png)" in out and 'src="../../img/y.svg"' in out


# ---------------------------------------------------------------------------------------------------
# scratch copies: the checks fail when the English moves on


def _fake_translation(text: str) -> str:
    """A stand-in translation that keeps the English structure and adds every glossary rendering needed."""
    need = [t.zh for t in TERMS if t.pattern.search(zt.prose(text))]
    return text + "\n\n（译文）" + "、".join(need)


@pytest.fixture
def scratch(tmp_path):
    """A project with notebook 03 alone, fully 'translated' with stand-ins and built."""
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "03_forget_gate.ipynb", tmp_path / "notebooks")
    (tmp_path / tr.CATALOGUES).mkdir(parents=True)
    shutil.copy(ROOT / zt.GLOSSARY, tmp_path / zt.GLOSSARY)
    source = tmp_path / "notebooks" / "03_forget_gate.ipynb"
    po = tr.load_catalogue(tmp_path / tr.CATALOGUES / "03_forget_gate.po")
    tr.update_catalogue(po, source, tr.notebook_units(source))
    for e in po:
        e.msgstr = _fake_translation(e.msgid)
    tr.save_catalogue(po, tmp_path / tr.CATALOGUES / "03_forget_gate.po")
    tr.write_all(tr.build_all(tmp_path))
    assert tr.check(tmp_path) == []
    return tmp_path


def _edit_english(root: Path, cell_index_pred, change):
    path = root / "notebooks" / "03_forget_gate.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if cell_index_pred(c))
    old = "".join(cell["source"])
    cell["source"] = change(old).splitlines(keepends=True)
    path.write_text(tr.dumps_notebook(nb), encoding="utf-8")
    return cell.get("id"), old


def test_one_changed_english_sentence_is_caught_until_translated_again(scratch):
    cell_id, old = _edit_english(scratch, lambda c: c["cell_type"] == "markdown",
                                 lambda s: s.replace("the first of", "the very first of", 1))
    problems = tr.check(scratch)
    assert problems and all(cell_id in p for p in problems) and "no translation" in problems[0]
    with pytest.raises(tr.TranslationError, match=re.escape(f"[{cell_id}]")):
        tr.build_all(scratch)
    # `update` keeps the old translation as fuzzy, with the old English for the translator to compare
    cat = scratch / tr.CATALOGUES / "03_forget_gate.po"
    po = tr.load_catalogue(cat)
    stats = tr.update_catalogue(po, scratch / "notebooks" / "03_forget_gate.ipynb",
                                tr.notebook_units(scratch / "notebooks" / "03_forget_gate.ipynb"))
    tr.save_catalogue(po, cat)
    assert (stats.fuzzy, stats.new, stats.obsolete) == (1, 0, 0)
    entry = next(e for e in tr.load_catalogue(cat) if "fuzzy" in e.flags)
    assert entry.previous_msgid == old and entry.msgstr == _fake_translation(old)
    assert "fuzzy" in tr.check(scratch)[0]
    # a translator takes the new English through the plain-text round trip; then only the build is stale
    po = tr.load_catalogue(cat)
    exported = tr.export_text(po, TERMS)
    assert exported.count("=====\n--- en\n") == 1 and "the very first of" in exported
    filled = exported.replace("\n--- zh\n" + entry.msgstr, "\n--- zh\n" + _fake_translation(entry.msgid))
    n, problems = tr.import_text(po, filled, TERMS)
    assert (n, problems) == (1, [])
    tr.save_catalogue(po, cat)
    assert [p for p in tr.check(scratch) if "not what the build writes" in p]
    tr.write_all(tr.build_all(scratch))
    assert tr.check(scratch) == []


def test_a_changed_code_cell_makes_the_chinese_notebook_stale(scratch):
    _edit_english(scratch, lambda c: c["cell_type"] == "code", lambda s: s + "\n# one more comment")
    problems = tr.check(scratch)
    assert len(problems) == 1 and "not what the build writes" in problems[0]


def test_a_hand_edited_chinese_notebook_is_caught(scratch):
    path = scratch / tr.ZH_NOTEBOOKS / "03_forget_gate.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    md = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    md["source"] = ["手改的一句。"]
    path.write_text(tr.dumps_notebook(nb), encoding="utf-8")
    assert any("not what the build writes" in p for p in tr.check(scratch))


def test_a_removed_english_cell_leaves_its_translation_obsolete_not_lost(scratch):
    path = scratch / "notebooks" / "03_forget_gate.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    gone = next(c for c in nb["cells"][1:] if c["cell_type"] == "markdown")
    nb["cells"].remove(gone)
    path.write_text(tr.dumps_notebook(nb), encoding="utf-8")
    cat = scratch / tr.CATALOGUES / "03_forget_gate.po"
    po = tr.load_catalogue(cat)
    stats = tr.update_catalogue(po, path, tr.notebook_units(path))
    assert stats.obsolete == 1 and any(e.obsolete and e.msgid == "".join(gone["source"]) for e in po)


def _cli(*args, root):
    return subprocess.run([sys.executable, "-m", "lstm_helpers.tools.translate", "--root", str(root), *args],
                          capture_output=True, text=True, cwd=ROOT)


def test_build_refuses_and_writes_nothing_when_a_translation_is_missing(scratch):
    _edit_english(scratch, lambda c: c["cell_type"] == "markdown", lambda s: s + "\nOne new sentence.")
    zh = scratch / tr.ZH_NOTEBOOKS / "03_forget_gate.ipynb"
    before = zh.read_bytes()
    res = _cli("build", root=scratch)
    assert res.returncode == 1 and "no translation" in res.stderr and "03_forget_gate.ipynb" in res.stderr
    assert zh.read_bytes() == before and not list(zh.parent.glob("*.tmp*"))
    res = _cli("check", root=scratch)
    assert res.returncode == 1 and "1 problems" in res.stdout


def test_command_line_names_bad_arguments_in_one_line(scratch, tmp_path):
    res = _cli("export", "42", root=scratch)
    assert res.returncode != 0 and "notebook: expected a notebook number or name" in res.stderr
    res = _cli("import", "03", str(tmp_path / "nope.txt"), root=scratch)
    assert res.returncode == 2 and "file: expected a text file written by export" in res.stderr
    res = _cli("check", root=tmp_path / "nowhere")
    assert res.returncode == 2 and "--root: expected a project folder" in res.stderr
    bad = tmp_path / "bad.txt"
    bad.write_text("just some text\n", encoding="utf-8")
    res = _cli("import", "03", str(bad), root=scratch)
    assert res.returncode == 2 and "expected blocks of" in res.stderr
    assert _cli("check", root=scratch).returncode == 0


def test_import_reports_english_it_does_not_know(scratch):
    po = tr.load_catalogue(scratch / tr.CATALOGUES / "03_forget_gate.po")
    n, problems = tr.import_text(po, "===== x =====\n--- en\nNot in the notebook.\n--- zh\n不在笔记本里。\n", TERMS)
    assert n == 0 and "not in the catalogue" in problems[0]


# ---------------------------------------------------------------------------------------------------
# the optional language pack


def test_language_pack_is_an_optional_extra_and_make_lab_zh_uses_it():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not any("language-pack" in r for r in project["dependencies"])
    assert any(r.startswith("jupyterlab-language-pack-zh-cn>=") for r in project["optional-dependencies"]["zh"])
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"(?m)^lab-zh:", make) and "[test,zh]" in make and "zh_CN" in make
    assert re.search(r"(?m)^zh:", make)


def test_hard_wrapped_chinese_lines_are_joined_without_stray_spaces():
    md = ("前面，[07 · 从零实现](07_lstm_from_scratch.ipynb)\n搭建了完整的\nLSTM 层，见[这里](a.ipynb)\n的说明。\n\n"
          "- 列表项的\n  续行\n- 第二项\n\n> 引文的\n> 第二行\n\n| 表 |\n| 格 |\n\n```\n代码，\n继续\n```\nEnglish line\n中文行")
    out = zt.join_cjk_lines(md)
    assert "(07_lstm_from_scratch.ipynb)搭建了完整的 LSTM 层，见[这里](a.ipynb)的说明。" in out
    assert "- 列表项的续行\n- 第二项" in out and "> 引文的第二行" in out
    assert "| 表 |\n| 格 |" in out and "```\n代码，\n继续\n```" in out and "English line\n中文行" in out


def test_import_takes_every_block_of_a_file(scratch):
    cat = scratch / tr.CATALOGUES / "03_forget_gate.po"
    po = tr.load_catalogue(cat)
    for e in po:
        e.msgstr = ""
    exported = tr.export_text(po, TERMS)
    blocks = exported.count("\n--- en\n")
    assert blocks == len(po) >= 10
    filled = re.sub(r"--- en\n(.*?)\n--- zh\n", lambda m: m.group(0) + _fake_translation(m.group(1)) + "\n",
                    exported, flags=re.S)
    n, problems = tr.import_text(po, filled, TERMS)
    assert (n, problems) == (blocks, [])


def test_a_code_span_across_a_line_break_counts_once():
    en = "Run `conda env create\n-f environment.yml` first."
    assert zt.mismatches(en, "先运行 `conda env create -f environment.yml`。") == []


@pytest.mark.parametrize("path", tr.english_notebooks(ROOT) + sorted((ROOT / tr.ZH_NOTEBOOKS).glob("*.ipynb")),
                         ids=lambda p: ("zh-" if p.parent.name == "zh" else "en-") + p.stem[:2])
def test_bold_and_italic_render(path):
    """No `**` left as literal stars (CommonMark's rule bites Chinese punctuation next to Chinese text)."""
    pytest.importorskip("mistune")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    bad = [(c.get("id"), s) for c in cells if c["cell_type"] == "markdown"
           for s in zt.unrendered_emphasis("".join(c["source"]))]
    assert not bad, f"{path.name}: emphasis that would render as literal stars: {bad[:5]}"


def test_unrendered_emphasis_is_caught():
    assert zt.unrendered_emphasis("**讲师：**运行这个单元格。")
    assert zt.unrendered_emphasis("见**“细胞状态”**的定义。")
    assert not zt.unrendered_emphasis("**讲师**：运行；见“**细胞状态**”的定义；$a * b$ 与 `x * y`。")
