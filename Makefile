# Quick start:  make run   (sets up .venv and opens the app on the demo data)
#               make test  (sets up .venv and runs the whole test suite)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# An unpinned torch pulls a multi-GB CUDA build; this pin takes the CPU build.
TORCH_SPEC ?= torch==2.13.0

.PHONY: run test setup app clean bench

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install "$(TORCH_SPEC)"
	$(BIN)/pip install -e ".[test]"
	touch $@

setup: $(BIN)/.installed

# First a check that Qt's system libraries and a screen are there (scripts/check_qt_libs.py): it
# names the apt packages to install in one line instead of Qt's abort about its xcb plugin.
run: setup
	@$(BIN)/python scripts/check_qt_libs.py
	$(BIN)/hybridxai-gui --demo

# ruff first (a second or two): an undefined name or an unused import fails the run before the tests start.
test: setup
	$(BIN)/ruff check .
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# The double-click app, dist/HybridXAI/ (docs/PACKAGING.md), built from a clean venv and then
# smoke-tested as a user would run it. Where the default index serves a CUDA torch (PyPI on
# Linux), pass TORCH_INDEX=https://download.pytorch.org/whl/cpu.
app:
	rm -rf build/app-venv dist/HybridXAI
	$(PYTHON) -m venv build/app-venv
	build/app-venv/bin/pip install --upgrade pip
	build/app-venv/bin/pip install "$(TORCH_SPEC)" $(if $(TORCH_INDEX),--index-url "$(TORCH_INDEX)")
	@build/app-venv/bin/python -c "import sys, torch; sys.exit(0 if torch.version.cuda is None else \
	  'this torch is a CUDA build (several GiB of CUDA libraries in the app); use TORCH_INDEX=https://download.pytorch.org/whl/cpu')"
	build/app-venv/bin/pip install ".[app]"
	@start=$$(date +%s); build/app-venv/bin/pyinstaller --noconfirm --clean build.spec && \
	  echo "built in $$(( $$(date +%s) - start )) s: $$(du -sh dist/HybridXAI | cut -f1), $$(find dist/HybridXAI -type f | wc -l) files"
	cd / && env -i PATH=/usr/bin:/bin HOME="$$HOME" QT_QPA_PLATFORM=offscreen "$(CURDIR)/dist/HybridXAI/HybridXAI" --self-test

clean:
	rm -rf $(VENV) build dist
