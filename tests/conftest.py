"""Test-wide setup: one private CEILING_HOME, so the suite never touches a user's index and
builds the real chromadb index (real embedding model) once per checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("CEILING_HOME", str(REPO / ".ceiling-cache" / "test-home"))
os.environ.pop("CEILING_CORPUS", None)


@pytest.fixture(scope="session")
def corpus_index():
    """The default index, built (or found cached) once for the session."""
    from ceiling.agents.tools.retrieve import default_index

    return default_index()


@pytest.fixture
def descriptions() -> Path:
    return REPO / "tests" / "descriptions"
