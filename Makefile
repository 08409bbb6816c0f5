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
LAB_FLAGS := --ip=127.0.0.1 --port=$(LAB_PORT) --ServerApp.root_dir="$(CURDIR)" \
	--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb \
	$(if $(LAB_TOKEN),--IdentityProvider.token=$(LAB_TOKEN),) $(if $(DISPLAY),,--no-browser) \
	$(if $(filter 0,$(shell id -u)),--allow-root,)

# The test run sets LSTM_QUICK=1: notebooks 09-10 then use the `tiny` preset. Learners never set it.
# One BLAS/OpenMP thread per process: the two pytest workers already fill the two cores, and more
# threads than cores made numpy and torch up to ten times slower. Committed outputs are made the same way.
RUN_ENV := LSTM_QUICK=1 MPLBACKEND=agg OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
PYTEST_FLAGS := -n 2 --dist loadscope --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: lab serve-lab test unit notebooks images bench clean-venv

$(STAMP): pyproject.toml $(wildcard $(LOCK)) lab-settings/overrides.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q $(PIN) -e ".[test]"
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp lab-settings/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

lab: $(STAMP)
	$(PY) -m jupyterlab $(LAB_FLAGS)

# What `lab` runs, without the install step; tests/test_lab_server.py starts the server this way.
serve-lab:
	$(PY) -m jupyterlab $(LAB_FLAGS)

test: $(STAMP)
	$(RUN_ENV) $(PY) -m pytest $(PYTEST_FLAGS) tests notebooks

unit: $(STAMP)
	$(PY) -m pytest -n 2 tests

# Re-execute every notebook in place (what the committed outputs are made with).
notebooks: $(STAMP)
	$(RUN_ENV) $(PY) -m lstm_helpers.tools.notebooks execute notebooks/*.ipynb

images: $(STAMP)
	$(PY) -m lstm_helpers.tools.diagrams img

bench: $(STAMP)
	$(PY) -m lstm_helpers.tools.bench

clean-venv:
	rm -rf $(VENV)
