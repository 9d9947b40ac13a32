# The two quick-start commands: `make demo` and `make test`. Each creates .venv on first use.
# `make demo` writes only ignored paths (imagenet-g/, results/), so the checkout stays clean.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# torch is pinned to the build served from the local wheel store; never ask for a newer one.
TORCH := torch==2.14.1 torchvision==0.29.1
export HF_HUB_OFFLINE ?= 1

.PHONY: demo test docs install install-test install-docs browser clean-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt $(TORCH)
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,ray,docs]'
	touch $@

$(VENV)/.installed-docs: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[docs]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-docs: $(VENV)/.installed-docs

# Debian's chromium + chromedriver for the leaderboard page test; skipped cleanly where apt is unavailable.
browser:
	@if ! command -v chromedriver >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
				|| echo "chromium not installed: the browser test will be skipped"; \
		else echo "no root/apt: the browser test will be skipped"; fi; \
	fi

demo: install
	$(BIN)/imagenet-g build --release smoke
	$(BIN)/imagenet-g eval --model resnet18 --no-pretrained --release smoke --datasets imagenet-g --out results/smoke-resnet18.json
	$(BIN)/imagenet-g leaderboard add results/smoke-resnet18.json --name "ResNet-18 (random init, smoke)" --category real --release smoke --force --root results/leaderboard
	$(BIN)/imagenet-g leaderboard build --root results/leaderboard
	$(BIN)/imagenet-g audit --release smoke --clip-model random-clip --fid-extractor random-cnn \
		--safety-checker random-safety-checker --templates openai_imagenet_simple
	@echo
	@echo "Release:     ./imagenet-g/smoke  (python -c \"import datasets; print(datasets.load_dataset('imagenet-g', 'smoke', split='test'))\")"
	@echo "Results:     ./results/smoke-resnet18.json"
	@echo "Leaderboard: ./results/leaderboard/README.md, ./results/leaderboard/site/index.html  (the committed board is ./leaderboard)"
	@echo "Audit:       ./imagenet-g/audits/smoke/report.md (random-weight extractors: its numbers only prove the tooling)"

test: install-test browser
	$(BIN)/python -m pytest

# The documentation site, offline and strict (a broken link or a missing reference fails), into build/site/.
docs: install-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	@echo "Site: ./build/site/index.html"
