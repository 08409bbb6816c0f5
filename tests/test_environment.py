"""The three ways in (pip via make, conda, Binder) install the same packages, and the docs say so."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PYPI = {"pytorch-cpu": "torch", "pytorch": "torch", "playwright-python": "playwright"}
NOT_PACKAGES = {"python", "pip"}


def _pyproject_requirements():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["test"]
    return {Requirement(r).name.lower(): Requirement(r) for r in reqs}


def _environment_yml():
    """environment.yml's dependencies as ({conda name: bound}, {pip name: bound}, text): the top-level list,
    and the list under its ``- pip:`` item (read by indentation; comments and blank lines are ignored)."""
    text = (ROOT / "environment.yml").read_text()
    conda, pip, in_pip, top = {}, {}, False, None
    for line in text.split("\ndependencies:\n", 1)[1].splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"^(\s*)-\s+([A-Za-z0-9_.\-]+)\s*(:?)\s*(.*)$", line)
        assert m, f"environment.yml: cannot read the dependency line {line!r}"
        indent, name, colon, rest = len(m.group(1)), m.group(2).lower(), m.group(3), m.group(4)
        top = indent if top is None else top
        if indent == top:
            in_pip = name == "pip" and colon == ":"
            if in_pip or name in NOT_PACKAGES:
                continue
            conda[name] = rest.split("#")[0].strip()
        else:
            assert in_pip and indent > top, f"environment.yml: {line!r} is nested under something other than pip:"
            pip[name] = rest.split("#")[0].strip()
    return conda, pip, text


def _conda_requirements():
    """Every package environment.yml installs, by its PyPI name: {name: bound}, and the file's text."""
    conda, pip, text = _environment_yml()
    out = {CONDA_TO_PYPI.get(name, name): bound for name, bound in conda.items()}
    both = set(out) & set(pip)
    assert not both, f"environment.yml installs {both} both from conda and from pip"
    return {**out, **pip}, text


def test_pyproject_and_environment_yml_name_the_same_packages_and_bounds():
    py = _pyproject_requirements()
    conda, _ = _conda_requirements()
    assert set(py) == set(conda), f"only in pyproject: {set(py) - set(conda)}; only in environment.yml: {set(conda) - set(py)}"
    for name, req in py.items():
        assert str(req.specifier) == conda[name].replace(" ", ""), f"{name}: {req.specifier} vs {conda[name]}"


def test_environment_yml_pip_subsection_names_pypi_packages():
    """The ``pip:`` list (PyPI only: jupyterlab-slideshow) uses pip's names, and conda installs pip itself."""
    _, pip, text = _environment_yml()
    assert "jupyterlab-slideshow" in pip, "jupyterlab-slideshow comes from PyPI (the pip: subsection)"
    assert not set(pip) & set(CONDA_TO_PYPI), f"pip: uses PyPI names, found conda names {set(pip) & set(CONDA_TO_PYPI)}"
    assert re.search(r"^\s*-\s+pip\s*$", text, re.M), "a pip: subsection needs pip among the conda packages"


def test_only_lower_bounds_for_users():
    for name, req in _pyproject_requirements().items():
        for spec in req.specifier:
            assert spec.operator == ">=", f"{name}: users get lower bounds only, found {spec}"


def test_environment_yml_is_binder_friendly():
    _, text = _conda_requirements()
    assert "conda-forge" in text and "pytorch-cpu" in text
    assert re.search(r"^\s*-\s+pip\s*$", text, re.M), "pip must be listed"
    assert "-e ." not in text and "file:" not in text, "no local pip references: Binder caches the layer"
    post = (ROOT / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post
    assert "overrides.json" in post
    assert '"autoStartDefaultKernel": true' in (ROOT / "lab-settings" / "overrides.json").read_text()


def test_lock_pins_satisfy_the_lower_bounds():
    lock = {}
    for line in (ROOT / "requirements" / "lock-py3.11.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            lock[name.lower().replace("_", "-")] = Version(version)
    for name, req in _pyproject_requirements().items():
        assert name in lock, f"{name} is not pinned in the lock"
        assert req.specifier.contains(lock[name]), f"lock pins {name}=={lock[name]} outside {req.specifier}"


def test_readme_commands_are_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text().replace("\\\n", " ")
    commands = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert any("LSTM_REQUIRE_BROWSER=1" in c and re.search(r"make test$", c) for c in commands), \
        "CI runs the README's `make test` with the browser tests required"
    assert any("make test-avx" in c for c in commands) and any("make test-lowest" in c for c in commands)
    makefile = (ROOT / "Makefile").read_text()
    avx = makefile.split("\ntest-avx:", 1)[1].split("\n\n", 1)[0]
    lowest = makefile.split("\ntest-lowest:", 1)[1].split("\n\n", 1)[0]
    assert "$(ISA_AVX)" in avx and "notebooks" in avx, "CI runs the notebooks on AVX kernels"
    assert "$(ISA_SSE42)" in lowest and "tests notebooks" in lowest, "... and everything on SSE4.2 kernels"
    assert any("apt-get install" in c and "chromium" in c for c in commands)


def test_lowest_constraints_are_generated_from_pyproject():
    import importlib.util

    spec = importlib.util.spec_from_file_location("lowest", ROOT / "requirements" / "lowest.py")
    lowest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lowest)
    pins = dict(line.split("==") for line in lowest.lowest_pins())
    reqs = _pyproject_requirements()
    assert {n.lower() for n in pins} == set(reqs)
    for name, version in pins.items():
        (spec_,) = list(reqs[name.lower()].specifier)
        assert spec_.operator == ">=" and spec_.version == version, f"{name}: {spec_} vs =={version}"
    makefile = (ROOT / "Makefile").read_text()
    assert "requirements/lowest.py > $@" in makefile and "-r build/lowest-constraints.txt" in makefile


def test_ci_forces_the_other_instruction_sets_and_a_cell_timeout():
    makefile = (ROOT / "Makefile").read_text()
    for variant in ("OPENBLAS_CORETYPE=Sandybridge MKL_ENABLE_INSTRUCTIONS=AVX ONEDNN_MAX_CPU_ISA=AVX",
                    "OPENBLAS_CORETYPE=Nehalem MKL_ENABLE_INSTRUCTIONS=SSE4_2 ONEDNN_MAX_CPU_ISA=SSE41"):
        assert variant in makefile
    assert re.search(r"--nbval-cell-timeout=\$\(CELL_TIMEOUT\)", makefile)
    assert "--cell-timeout $(CELL_TIMEOUT)" in makefile


def test_shipped_lab_settings_start_the_kernel_and_ask_no_news_question():
    import json

    overrides = json.loads((ROOT / "lab-settings" / "overrides.json").read_text())
    assert overrides["@jupyterlab/notebook-extension:tracker"]["autoStartDefaultKernel"] is True
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification["fetchNews"] == "false" and notification["checkForUpdates"] is False
    makefile = (ROOT / "Makefile").read_text()
    assert '--LabApp.app_settings_dir="$(CURDIR)/lab-settings"' in makefile, "make lab reads the shipped settings"
    assert "overrides.json" in (ROOT / "postBuild").read_text()
