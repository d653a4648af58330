# Two commands do all the set-up: `make run` (the system, with the demo region) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)

# The browser tests use Debian's chromium (never a browser downloaded by playwright).
CHROMIUM := /usr/bin/chromium

.PHONY: install chromium promtool run test bench bench-full topology translations screenshots clean

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Ortak needs Python 3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	PYTHONPATH=$(CURDIR) $(BIN)/python -m ops.run

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && [ -f /etc/debian_version ]; then \
	    echo "Installing chromium with apt-get ..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else \
	    echo "note: $(CHROMIUM) is missing, so the browser tests (tests/web) are skipped: apt-get install chromium"; \
	  fi; \
	fi

# The alert rules are checked and unit-tested with promtool, taken from Debian's prometheus package
# (unpacked beside the virtualenv's python: no Prometheus server is installed or started).
promtool: install
	@if [ ! -x $(BIN)/promtool ] && ! command -v promtool >/dev/null; then \
	  if command -v apt-get >/dev/null && command -v dpkg >/dev/null && [ -f /etc/debian_version ]; then \
	    echo "Unpacking promtool from Debian's prometheus package ..."; \
	    tmp=$$(mktemp -d) && (cd $$tmp && (apt-get download -q prometheus >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null 2>&1 && apt-get download -q prometheus >/dev/null 2>&1; }) && \
	      dpkg -x prometheus_*.deb root && cp root/usr/bin/promtool $(abspath $(BIN))/promtool) || \
	      echo "note: promtool could not be unpacked, so the alert rules' promtool tests are skipped"; \
	    rm -rf $$tmp; \
	  else \
	    echo "note: promtool is missing, so the alert rules' promtool tests are skipped"; \
	  fi; \
	fi

test: install chromium promtool
	PYTHONPATH=$(CURDIR) $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	PYTHONPATH=$(CURDIR) $(BIN)/python -m bench.run

bench-full: install
	PYTHONPATH=$(CURDIR) $(BIN)/python -m bench.run --full

topology: install
	PYTHONPATH=$(CURDIR) $(BIN)/python -m ops.topology

# after changing a page's text: new msgids go into each language's .po (translate them there);
# the .mo files are compiled from the .po files when the gateway starts
translations: install
	$(BIN)/pybabel extract -F services/web/babel.cfg -k lazy_gettext -k _l --no-location --sort-output \
	  --project Ortak --copyright-holder Ortak -o services/web/translations/messages.pot .
	$(BIN)/pybabel update -i services/web/translations/messages.pot -d services/web/translations \
	  --no-fuzzy-matching --ignore-obsolete --width 100

# docs/screenshots from a running system (make run)
screenshots: install
	PYTHONPATH=$(CURDIR) $(BIN)/python -m ops.screenshots

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
