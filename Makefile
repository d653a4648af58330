# Two commands do all the set-up: `make run` (the system, with the demo region) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)

.PHONY: install run test bench bench-full topology clean

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Ortak needs Python 3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	PYTHONPATH=$(CURDIR) $(BIN)/python -m ops.run

test: install
	PYTHONPATH=$(CURDIR) $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	PYTHONPATH=$(CURDIR) $(BIN)/python -m bench.run

bench-full: install
	PYTHONPATH=$(CURDIR) $(BIN)/python -m bench.run --full

topology: install
	PYTHONPATH=$(CURDIR) $(BIN)/python -m ops.topology

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
