# The same commands the README and CI use.
PYTHON ?= python

.PHONY: install test review bench index duplicates

install:
	$(PYTHON) -m pip install -e '.[test]'

# CI runs exactly this (see .ci/run): install, then the whole suite.
test: install
	$(PYTHON) -m pytest

review: install
	ceiling review examples/fraud-scoring.md

bench:
	$(PYTHON) eval/bench.py

index:
	ceiling index
