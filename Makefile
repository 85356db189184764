# GateLab: `make demo` and `make test` install whatever is missing, then do their job.
# Both are idempotent: a second run only re-does what changed.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.gatelab-installed
# Debian/Ubuntu packages needed to build pycairo/manimpango (no Linux wheels), to run
# `dot`, and to make a venv with Debian's own python.
APT_PKGS := libpango1.0-dev pkg-config graphviz python3-dev python3-venv gcc

.PHONY: demo demo-all test test-fast goldens wheelhouse sysdeps sysdeps-test install bench clean docs lint gallery

demo: install
	$(BIN)/gatelab demo --out media

# Every diagram and every scene (480p), on every core; a second run re-renders only what changed.
demo-all: install
	$(BIN)/gatelab all --out media

# The tests never write into the source tree: golden DOT files are rewritten only by `make goldens`.
PYTEST := env -u GATELAB_UPDATE_GOLDENS $(BIN)/python -m pytest -q -p no:cacheprovider

test: install wheelhouse sysdeps-test
	$(PYTEST) -n auto --dist loadgroup

test-fast: install
	$(PYTEST) -n auto --dist loadgroup -m "not slow"

# Rewrite tests/diagrams/golden/*.dot from the current builders; review the diff (and the figures) before committing.
goldens: install
	GATELAB_UPDATE_GOLDENS=1 $(BIN)/python -m pytest -q -p no:cacheprovider -p no:xdist tests/diagrams
	@git status --short -- tests/diagrams/golden

# Wheels the packaging test installs offline (tests/test_packaging.py): the other `diagrams` project
# (mingrammer's architecture-diagram library), to prove `gatelab.diagrams` never shadows it.
# Fetched once into the venv; the stamp names the pin, so changing it fetches again.
WHEELHOUSE := $(VENV)/wheelhouse
WHEELHOUSE_PINS := diagrams==0.25.1
empty :=
space := $(empty) $(empty)
WHEELHOUSE_STAMP := $(WHEELHOUSE)/.fetched-$(subst ==,-,$(subst $(space),_,$(strip $(WHEELHOUSE_PINS))))

wheelhouse: $(WHEELHOUSE_STAMP)

$(WHEELHOUSE_STAMP): | $(STAMP)
	$(BIN)/python -m pip download -q --no-deps -d $(WHEELHOUSE) $(WHEELHOUSE_PINS)
	@touch $@

install: $(STAMP)

$(STAMP): pyproject.toml | sysdeps
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

# System packages: check each, install with apt-get when we can, else say exactly what to install.
sysdeps:
	@missing=""; \
	command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	command -v pkg-config >/dev/null 2>&1 || missing="$$missing pkg-config"; \
	pkg-config --exists pangocairo 2>/dev/null || missing="$$missing libpango1.0-dev"; \
	command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || missing="$$missing gcc"; \
	inc=$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null); \
	test -f "$$inc/Python.h" || missing="$$missing python3-dev"; \
	test -x $(BIN)/python || $(PY) -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "GateLab needs system packages:$$missing"; \
	if command -v apt-get >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	  else echo "Run as root or with sudo:  sudo apt-get install -y --no-install-recommends $(APT_PKGS)"; exit 1; fi; \
	  echo "Installing with apt-get: $(APT_PKGS)"; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(APT_PKGS) >/dev/null || exit 1; \
	else \
	  echo "No apt-get here. Install the equivalents, then run make again:"; \
	  echo "  macOS (Homebrew):  brew install graphviz pango pkg-config"; \
	  echo "  Fedora:            sudo dnf install graphviz pango-devel pkgconf-pkg-config python3-devel gcc"; \
	  echo "  Arch:              sudo pacman -S graphviz pango pkgconf gcc"; \
	  exit 1; \
	fi

# Headless Chromium for the slide deck's browser test (tests/present/test_deck_browser.py): only `make test`
# needs it, so only this target installs it, and only when no Chromium is on PATH.
TEST_APT_PKGS := chromium

sysdeps-test:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "The deck's browser test needs Chromium: $(TEST_APT_PKGS)"; \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "No apt-get here: install Chromium (macOS: brew install --cask chromium), then run make again"; exit 1; fi; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	  else echo "Run as root or with sudo:  sudo apt-get install -y --no-install-recommends $(TEST_APT_PKGS)"; exit 1; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(TEST_APT_PKGS) >/dev/null || exit 1; }

# The README's gallery: a thumbnail of every diagram, scene (last frame) and plot, and docs/gallery.md.
gallery: install
	$(BIN)/gatelab gallery --out docs/gallery --page docs/gallery.md

lint: install
	$(BIN)/ruff check .

# docs/catalogue.md is generated from the catalogues (a test checks it is current).
docs: install
	@{ echo "# The catalogue"; echo; echo "Generated by \`gatelab list --format md\` (a test checks it is current; \`make docs\` rewrites it)."; echo; $(BIN)/gatelab list --format md; } > docs/catalogue.md.tmp && mv docs/catalogue.md.tmp docs/catalogue.md

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) media build *.egg-info .pytest_cache .hypothesis
