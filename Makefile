# The same commands the README and CI use.
PYTHON ?= python

.PHONY: install local chromium test review chat bench bench-llm index record record-new eval

install:
	$(PYTHON) -m pip install -e '.[test]'
	@command -v chromium >/dev/null || $(MAKE) chromium

# --llm local: llama.cpp built for AVX2 and no wider. A native build on a VM that advertises AMX or
# AVX512-FP16 it cannot run dies with SIGILL on the first prompt of more than one token (seen on our
# 2-core machines); pip's wheel cache would also reuse a build made on another CPU.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF
local:
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PYTHON) -m pip install --no-cache-dir -e '.[local]'

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

# LLM reviews against the local model (needs `make local`; 1.2-1.7 min a review on 2 cores).
bench-llm:
	$(PYTHON) eval/bench_llm.py --runs 3

index:
	ceiling index

# Re-record every LLM cassette against a live endpoint: the local model by default
# (needs `make local`), or ENGINE=openai with OPENAI_API_KEY / OPENAI_BASE_URL.
ENGINE ?= local
record:
	CEILING_RECORD=1 $(PYTHON) -m pytest tests/test_llm.py tests/test_llm_followup.py tests/test_llm_paragraph.py
	CEILING_RECORD=1 $(PYTHON) -m pytest tests/test_llm_tools.py -k recorded
	ceiling eval --llm $(ENGINE) --record --cases eval/cases

# The same, asking the endpoint only for the requests the cassettes lack (a new or changed prompt); the recorded
# calls a run still makes are replayed and the ones it no longer makes are dropped.
record-new:
	CEILING_RECORD=1 CEILING_RECORD_KEEP=1 $(PYTHON) -m pytest tests/test_llm.py tests/test_llm_followup.py tests/test_llm_paragraph.py
	CEILING_RECORD=1 CEILING_RECORD_KEEP=1 $(PYTHON) -m pytest tests/test_llm_tools.py -k recorded
	ceiling eval --llm $(ENGINE) --record --keep-matching --cases eval/cases

eval:
	ceiling eval --report out/eval
