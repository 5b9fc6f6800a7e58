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

run: setup
	$(BIN)/hybridxai-gui --demo

test: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

app:
	rm -rf build/app-venv
	$(PYTHON) -m venv build/app-venv
	build/app-venv/bin/pip install --upgrade pip
	build/app-venv/bin/pip install "$(TORCH_SPEC)"
	build/app-venv/bin/pip install ".[app]"
	build/app-venv/bin/pyinstaller --noconfirm --clean build.spec

clean:
	rm -rf $(VENV) build dist
