# Bawaba: two set-up commands.  `make run` starts the kiosk; `make test` runs the suite.
# Each installs what is missing first (Debian/Ubuntu apt packages, then a .venv).
SHELL := /bin/bash
PY    ?= python3
VENV  := .venv
BIN   := $(VENV)/bin
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Qt offscreen + Arabic fonts; X display extras; device stack (zbar, socat, pcscd + vpcd,
# pyscard build deps); OCR-B font; tesseract for the PassportEye comparison; chromium for
# the fleet-page check; a C compiler and Python's headers for pyscard and the queue's C loops.
APT_PACKAGES := libglib2.0-0 libgl1 libegl1 libfontconfig1 libxkbcommon0 libx11-6 libdbus-1-3 \
	fonts-noto-core fonts-dejavu-core \
	libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0 \
	libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libxkbcommon-x11-0 \
	libzbar0 socat pcscd vsmartcard-vpcd libpcsclite-dev swig pkg-config fonts-ocr-b \
	tesseract-ocr chromium python3-venv gcc libc6-dev python3-dev

.PHONY: run test bench deps apt venv translations clean

run: deps
	@$(BIN)/bawaba run --profile config/mall-kiosk.toml --simulated

test: deps
	@bash scripts/run-tests.sh

bench: deps
	@$(BIN)/python -m benchmarks

deps: apt venv

apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing apt packages: $$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml kiosk/offline_queue/_speedups.c
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[test,bench]'
	@touch $@

clean:
	rm -rf $(VENV) build *.egg-info kiosk/offline_queue/*.so
