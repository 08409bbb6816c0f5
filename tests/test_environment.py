"""The three ways in (pip via make, conda, Binder) install the same packages, and the docs say so."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PYPI = {"pytorch-cpu": "torch", "pytorch": "torch"}
NOT_PACKAGES = {"python", "pip"}


def _pyproject_requirements():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["test"]
    return {Requirement(r).name.lower(): Requirement(r) for r in reqs}


def _conda_requirements():
    text = (ROOT / "environment.yml").read_text()
    deps = text.split("dependencies:", 1)[1]
    out = {}
    for line in deps.splitlines():
        m = re.match(r"^\s*-\s+([A-Za-z0-9_.\-]+)\s*(.*)$", line)
        if not m:
            continue
        name = m.group(1).lower()
        if name in NOT_PACKAGES:
            continue
        out[CONDA_TO_PYPI.get(name, name)] = m.group(2).strip()
    return out, text


def test_pyproject_and_environment_yml_name_the_same_packages_and_bounds():
    py = _pyproject_requirements()
    conda, _ = _conda_requirements()
    assert set(py) == set(conda), f"only in pyproject: {set(py) - set(conda)}; only in environment.yml: {set(conda) - set(py)}"
    for name, req in py.items():
        assert str(req.specifier) == conda[name].replace(" ", ""), f"{name}: {req.specifier} vs {conda[name]}"


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
    ci = (ROOT / ".ci" / "run").read_text()
    assert [ln for ln in ci.splitlines() if ln and not ln.startswith("#") and not ln.startswith(("set ", "cd "))] == ["make test"]
