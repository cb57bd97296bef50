# vae-keras: every target creates .venv (and installs the pinned requirements) if it is missing.
#   make demo   - set up, then run the study notebooks (demo profile, about 7 min) on the embedded 8x8 digits
#   make test   - set up, then run the test suite
#   make run    - every notebook with the quick profile on SVHN (downloads it where possible)
#   make train-demo - one training run + evaluation on the digits, from the command line
#   make notebooks  - regenerate notebooks/*.ipynb from their jupytext sources notebooks/*.py
#   make mutation   - mutation testing of the claims ledger against tests/test_claims.py (not part of `make test`)
#   make lint       - ruff check and format --check of the package, tests, benchmarks and notebook sources
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# The environment (caches and configs in .cache/, out of $HOME; TensorFlow's oneDNN kernels on and its log
# quiet) is set where the processes start, from one definition, vae_keras/environment.py: by `vae-keras`
# for itself and the notebook kernels it starts, and by tests/conftest.py for pytest.

DEMO_DIR ?= runs/demo
RUN_DIR  ?= runs/quick-svhn

.PHONY: setup kernel demo run train-demo notebooks test test-slow mutation lint format clean

setup: $(STAMP) kernel

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

# Registered again when missing or stale: a kernelspec hard-codes its interpreter's path, so this keeps it
# right after the checkout moves (`vae-keras run` checks the same before it starts a notebook).
kernel: $(STAMP)
	@$(BIN)/python -c "from vae_keras.writeup import kernels; kernels.ensure_kernel()"

demo: setup
	$(BIN)/vae-keras run --profile demo --out $(DEMO_DIR) --resume

run: setup
	$(BIN)/vae-keras run --profile quick --dataset svhn --out $(RUN_DIR) --resume

train-demo: setup
	$(BIN)/vae-keras train --out runs/train-demo --dataset digits --likelihood bernoulli --binarize true \
		--latent-dim 8 --hidden-units 256,256 --num-epochs 200 --batch-size 100
	$(BIN)/vae-keras evaluate runs/train-demo --k 1000
	@echo "Results: runs/train-demo (figures/, metrics.json, history.csv, model.keras)"

# The notebooks are edited as notebooks/NN_name.py (jupytext py:percent); this regenerates the .ipynb
# files papermill runs (no outputs). A test fails when a .ipynb is out of date.
notebooks: setup
	cd notebooks && for source in [0-9][0-9]_*.py; do ../$(BIN)/jupytext --quiet --to ipynb --update "$$source"; done

# Two worker processes, each taking whole test files (module fixtures such as the notebook smoke run
# run once): most tests spend their time importing, tracing and compiling on one core each.
# --no-loadscope-reorder: the files go out in tests/conftest.py's order, the slowest first; xdist's default
# reorders them by their number of tests, which can start the notebooks' smoke run last (issue 29).
# `python -m benchmarks.test_suite` times this command, each test in wall and CPU seconds.
TEST_WORKERS ?= 2
PYTEST_WORKERS = -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test: setup
	$(BIN)/python -m pytest $(PYTEST_WORKERS) --durations=15

# What `make test` leaves out (pyproject.toml: `slow`): every pair of backend and setting, every held-out
# dataset through the whole smoke profile, twelve kills, the benchmark scripts. CI runs it after `make test`.
test-slow: setup
	$(BIN)/python -m pytest $(PYTEST_WORKERS) --durations=15 -m slow

# Mutation testing of the claims ledger: mutmut mutates vae_keras/writeup/claims/ and runs only
# tests/test_claims.py against each mutant (settings: pyproject.toml [tool.mutmut]); about 3 minutes on 2 cores.
# mutmut (with textual and libcst) is a development tool kept out of requirements.txt: installed here on first use.
# mutants/ (its working copy) stays for `$(BIN)/mutmut show NAME`; `make clean` removes it. The last score and the
# surviving mutants, each with why it survives, are in benchmarks/results/mutation_claims.json.
MUTMUT_VERSION ?= 3.8.1

mutation: $(STAMP)
	@$(BIN)/python -c "import mutmut" 2>/dev/null || $(BIN)/python -m pip install --quiet mutmut==$(MUTMUT_VERSION)
	rm -rf mutants
	$(BIN)/mutmut run --max-children $(TEST_WORKERS)
	$(BIN)/mutmut results

# The notebooks' jupytext sources are linted too, at 110 columns (notebooks/ruff.toml); their .ipynb files are
# generated from them, so `format` regenerates those after formatting the sources.
lint: setup
	$(BIN)/ruff check vae_keras tests benchmarks notebooks
	$(BIN)/ruff format --check vae_keras tests benchmarks notebooks

format: setup
	$(BIN)/ruff format vae_keras tests benchmarks notebooks
	$(BIN)/ruff check --fix vae_keras tests benchmarks notebooks
	$(MAKE) --no-print-directory notebooks

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache *.egg-info mutants
