# Two commands for a fresh clone (see README):  make lab   and   make test
# Both create the virtual environment in .venv the first time (about 2 minutes).

PYTHON ?= python3
VENV   ?= .venv
PY     ?= $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Exact versions are applied only on the Python they were locked on; elsewhere the lower bounds
# in pyproject.toml decide, so a newer Python still installs.
PYVER  := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
LOCK   := requirements/lock-py$(PYVER).txt
PIN    := $(if $(wildcard $(LOCK)),-c $(LOCK),)

LAB_PORT  ?= 8888
LAB_TOKEN ?=
# The shipped settings (lab-settings/overrides.json: kernel starts by itself, no news pop-up) are read
# straight from the repository, so `make lab` and the test server always use the committed file.
LAB_FLAGS := --ip=127.0.0.1 --port=$(LAB_PORT) --ServerApp.root_dir="$(CURDIR)" \
	--LabApp.app_settings_dir="$(CURDIR)/lab-settings" \
	--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb \
	$(if $(LAB_TOKEN),--IdentityProvider.token=$(LAB_TOKEN),) $(if $(DISPLAY),,--no-browser) \
	$(if $(filter 0,$(shell id -u)),--allow-root,)

# The test run sets LSTM_QUICK=1: notebooks 09-10 then use the `tiny` preset. Learners never set it.
# One BLAS/OpenMP thread per process: the two pytest workers already fill the two cores, and more
# threads than cores made numpy and torch up to ten times slower. Committed outputs are made the same way.
RUN_ENV := LSTM_QUICK=1 MPLBACKEND=agg OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
# Every cell has a time limit (seconds): a stuck cell fails, naming its notebook and cell, instead of hanging.
CELL_TIMEOUT ?= 300
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=$(CELL_TIMEOUT)
PYTEST_FLAGS := -n 2 --dist loadscope $(NBVAL)

# `make test` runs the Chinese notebooks (notebooks/zh) under nbval too; their code cells are the English
# ones (tests/test_translation.py), so the other kernel and version variants run the English alone.
EN_ONLY := --ignore=notebooks/zh

# A learner's CPU may pick other BLAS / oneDNN kernels than ours: CI re-runs the notebooks, strictly,
# with the kernels forced down to AVX (Sandy Bridge) and to SSE4.2 (Nehalem).
ISA_AVX   := OPENBLAS_CORETYPE=Sandybridge MKL_ENABLE_INSTRUCTIONS=AVX ONEDNN_MAX_CPU_ISA=AVX
ISA_SSE42 := OPENBLAS_CORETYPE=Nehalem MKL_ENABLE_INSTRUCTIONS=SSE4_2 ONEDNN_MAX_CPU_ISA=SSE41

# A second environment at the lowest versions pyproject.toml declares (constraints generated from it).
LOW_VENV  ?= .venv-lowest
LOW_PY    := $(LOW_VENV)/bin/python
LOW_STAMP := $(LOW_VENV)/.installed

.PHONY: install lab lab-zh serve-lab test unit notebooks test-isa test-avx lowest test-lowest images bench bench-grade slides zh gpu-check clean-venv

$(STAMP): pyproject.toml $(wildcard $(LOCK)) lab-settings/overrides.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q $(PIN) -e ".[test]"
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp lab-settings/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

install: $(STAMP)

lab: $(STAMP)
	$(PY) -m jupyterlab $(LAB_FLAGS)

# The Chinese edition with JupyterLab's menus in Chinese: the optional language pack (extra `zh`), and the
# shipped settings plus the zh_CN locale (written to build/, so lab-settings/ stays the one source).
ZH_SETTINGS := build/lab-settings-zh
lab-zh: $(STAMP)
	$(PY) -m pip install -q $(PIN) -e ".[test,zh]"
	mkdir -p $(ZH_SETTINGS)
	$(PY) -c 'import json; s = json.load(open("lab-settings/overrides.json")); \
	s["@jupyterlab/translation-extension:plugin"] = {"locale": "zh_CN"}; \
	json.dump(s, open("$(ZH_SETTINGS)/overrides.json", "w"), indent=2)'
	$(PY) -m jupyterlab $(subst $(CURDIR)/lab-settings,$(CURDIR)/$(ZH_SETTINGS),$(subst 00_start_here,zh/00_start_here,$(LAB_FLAGS)))

# What `lab` runs, without the install step; tests/test_lab_server.py starts the server this way.
serve-lab:
	$(PY) -m jupyterlab $(LAB_FLAGS)

test: $(STAMP)
	$(RUN_ENV) $(PY) -m pytest $(PYTEST_FLAGS) tests notebooks

unit: $(STAMP)
	$(PY) -m pytest -n 2 tests

# The notebooks alone, under both forced instruction sets; the second variant runs even when the first
# fails. CI runs `test-avx` here and the SSE4.2 variant inside `test-lowest` (one notebook pass fewer).
test-isa: $(STAMP)
	status=0; \
	$(RUN_ENV) $(ISA_AVX) $(PY) -m pytest $(PYTEST_FLAGS) $(EN_ONLY) notebooks || status=1; \
	$(RUN_ENV) $(ISA_SSE42) $(PY) -m pytest $(PYTEST_FLAGS) $(EN_ONLY) notebooks || status=1; \
	exit $$status

test-avx: $(STAMP)
	$(RUN_ENV) $(ISA_AVX) $(PY) -m pytest $(PYTEST_FLAGS) $(EN_ONLY) notebooks

build/lowest-constraints.txt: pyproject.toml requirements/lowest.py
	mkdir -p build
	$(PYTHON) requirements/lowest.py > $@.tmp && mv $@.tmp $@

# The pins are exactly the package's dependencies and test extra; the package itself is used from the
# checkout (PYTHONPATH), so this install never touches the tree while `make install` runs beside it.
$(LOW_STAMP): build/lowest-constraints.txt
	test -x $(LOW_PY) || $(PYTHON) -m venv $(LOW_VENV)
	$(LOW_PY) -m pip install -q --no-compile -r build/lowest-constraints.txt
	touch $@

lowest: $(LOW_STAMP)

# Unit tests and notebooks at the lowest declared versions, on the SSE4.2 kernels (the browser test
# runs at the locked versions).
test-lowest: $(LOW_STAMP)
	PYTHONPATH="$(CURDIR)" $(RUN_ENV) $(ISA_SSE42) $(LOW_PY) -m pytest $(PYTEST_FLAGS) --deselect tests/test_browser.py --deselect tests/test_slides.py $(EN_ONLY) tests notebooks

# Re-execute every notebook in place (what the committed outputs are made with).
# The Chinese twins copy the new outputs (make zh); a cell whose English changed needs its translation first.
notebooks: $(STAMP)
	$(RUN_ENV) $(PY) -m lstm_helpers.tools.notebooks execute --cell-timeout $(CELL_TIMEOUT) notebooks/*.ipynb
	$(PY) -m lstm_helpers.tools.translate build || echo "notebooks/zh not rebuilt: translate the open entries, then make zh"

images: $(STAMP)
	$(PY) -m lstm_helpers.tools.diagrams img

bench: $(STAMP)
	$(PY) -m lstm_helpers.tools.bench

# The grader's speed: 100 submissions of notebook 03 (every other one solved), 1 worker and one per CPU.
bench-grade: $(STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m lstm_helpers.tools.grade --bench 100 notebooks/03_forget_gate.ipynb

# One offline reveal.js deck per notebook in slides/ (reveal.js and MathJax from vendor/, no network).
slides: $(STAMP)
	$(PY) -m lstm_helpers.tools.slides build notebooks/*.ipynb --out slides/

# The Chinese edition: catalogues follow the English (new and changed cells), then notebooks/zh/ and
# README.zh-CN.md are written from them. Refuses, writing nothing, while a cell lacks a current translation.
zh: $(STAMP)
	$(PY) -m lstm_helpers.tools.translate update
	$(PY) -m lstm_helpers.tools.translate build

# CUDA machine only: the precision policy it picks, the cuda-marked tests, the t4 preset in fp16 with a loss
# scaler, the bench's GPU rows, the gpu preset for 60 s and notebook 09 (planned to fit in 10 minutes on one
# H100/H200; never run so far). `$(PY) -m lstm_helpers.tools.gpu_check --dry-run` prints the plan anywhere.
gpu-check: $(STAMP)
	$(PY) -m lstm_helpers.tools.gpu_check

clean-venv:
	rm -rf $(VENV) $(LOW_VENV)
