"""Stage 1 truth table: which ceiling binds.

Encodes Chapter 1.8, "1.8.1 The Checklist, Stage by Stage", Stage 1:
"name the single resource that ran out. Section 1.1 gave you three candidates: the data is too big for one
machine's memory or disk, the model is too big for one accelerator's memory, or the request volume exceeds one
server's throughput. Usually one of the three dominates; occasionally two do, and a foundation model hits all
three at once. If none binds, the correct design is a single machine". Code 1.8.1 picks the winner with
`max(ceilings, key=ceilings.get)`; the fraud example (Output 1.8.1) is throughput at pressure 0.95.

The bind threshold (pressure >= 0.5, pressure = 1 - 2**-ratio, ratio = need / one machine's capacity) is the
reviewer's stated rule, not the chapter's words: ratio 1 means the need equals what one machine holds.
"""

from __future__ import annotations

import math

import pytest

from ceiling.agents.scoring.pressures import Pressure, binding

KEYS = ("data", "model", "throughput")


def _pressure(name: str, p: float) -> Pressure:
    """A Pressure with its ratio consistent with p = 1 - 2**-ratio."""
    ratio = -math.log2(1.0 - p)
    return Pressure(name=name, pressure=p, ratio=ratio)


# (data, model, throughput) pressures -> the acceptable answers (one, unless the chapter leaves a tie open)
ROWS = [
    # --- nothing binds ---
    # "If none binds, the correct design is a single machine" -- the fraud numbers minus the 0.95
    pytest.param(0.30, 0.10, 0.45, {"none"}, id="none-all-below"),
    # "If none binds, the correct design is a single machine" -- zero pressure everywhere
    pytest.param(0.0, 0.0, 0.0, {"none"}, id="none-all-zero"),
    # Fun Note: "The flat hexagon, every axis at 0.2 ... it means a single machine will do"
    pytest.param(0.2, 0.2, 0.2, {"none"}, id="none-flat-hexagon"),
    # "If none binds" -- every ceiling just under the bind line (ratio < 1: one machine still suffices)
    pytest.param(0.49, 0.49, 0.49, {"none"}, id="none-just-below-threshold"),
    # --- exactly one binds ---
    # "the data is too big for one machine's memory or disk"
    pytest.param(0.90, 0.10, 0.30, {"data"}, id="data-only"),
    # "the model is too big for one accelerator's memory"
    pytest.param(0.10, 0.90, 0.30, {"model"}, id="model-only"),
    # Output 1.8.1: "dominant ceiling : throughput (pressure 0.95)" -- the fraud service
    pytest.param(0.30, 0.10, 0.95, {"throughput"}, id="throughput-only-fraud"),
    # Practical Example: "The binding ceiling was throughput on serving ...; data and model pressures were near zero"
    pytest.param(0.02, 0.01, 0.80, {"throughput"}, id="throughput-only-logistics"),
    # --- the bind line itself ---
    # chapter silent: on need == capacity; the stated rule is pressure >= 0.5 binds (no headroom left on one machine)
    pytest.param(0.50, 0.10, 0.10, {"data"}, id="data-exactly-at-threshold"),
    # chapter silent: on need == capacity; the stated rule is pressure >= 0.5 binds (no headroom left on one machine)
    pytest.param(0.10, 0.10, 0.50, {"throughput"}, id="throughput-exactly-at-threshold"),
    # --- two bind: "occasionally two do"; the single most-run-out resource is named (Code 1.8.1's max) ---
    # "occasionally two do" + "name the single resource that ran out" -> the higher of data/model
    pytest.param(0.90, 0.70, 0.10, {"data"}, id="data-model-data-wins"),
    # "occasionally two do" + "name the single resource that ran out" -> the higher of data/model
    pytest.param(0.70, 0.90, 0.10, {"model"}, id="data-model-model-wins"),
    # "occasionally two do" + Code 1.8.1 max(ceilings, key=ceilings.get)
    pytest.param(0.90, 0.10, 0.70, {"data"}, id="data-throughput-data-wins"),
    # "occasionally two do" + Code 1.8.1 max(ceilings, key=ceilings.get)
    pytest.param(0.70, 0.10, 0.90, {"throughput"}, id="data-throughput-throughput-wins"),
    # "occasionally two do" + Code 1.8.1 max(ceilings, key=ceilings.get)
    pytest.param(0.10, 0.90, 0.70, {"model"}, id="model-throughput-model-wins"),
    # "occasionally two do" + Code 1.8.1 max(ceilings, key=ceilings.get)
    pytest.param(0.10, 0.70, 0.90, {"throughput"}, id="model-throughput-throughput-wins"),
    # --- all three bind: "a foundation model hits all three at once" ---
    # "a foundation model hits all three at once" -> still one name, the highest
    pytest.param(0.99, 0.98, 0.97, {"data"}, id="all-three-data-wins"),
    # "a foundation model hits all three at once" -> still one name, the highest
    pytest.param(0.97, 0.99, 0.98, {"model"}, id="all-three-model-wins"),
    # "a foundation model hits all three at once" -> still one name, the highest
    pytest.param(0.97, 0.98, 0.99, {"throughput"}, id="all-three-throughput-wins"),
    # --- exact ties among binding ceilings ---
    # chapter silent: on ties; a mature reviewer names one of the tied binding ceilings, and never "none"
    pytest.param(0.80, 0.80, 0.10, {"data", "model"}, id="tie-data-model"),
    # chapter silent: on ties; a mature reviewer names one of the tied binding ceilings, and never "none"
    pytest.param(0.10, 0.80, 0.80, {"model", "throughput"}, id="tie-model-throughput"),
    # chapter silent: on ties; a mature reviewer names one of the tied binding ceilings, and never "none"
    pytest.param(0.90, 0.90, 0.90, {"data", "model", "throughput"}, id="tie-all-three"),
    # chapter silent: a tie below the line is still "If none binds" -> single machine
    pytest.param(0.40, 0.40, 0.10, {"none"}, id="tie-below-threshold"),
]


@pytest.mark.parametrize(("data", "model", "throughput", "expected"), ROWS)
def test_binding_ceiling(data: float, model: float, throughput: float, expected: set[str]) -> None:
    pressures = {k: _pressure(k, p) for k, p in zip(KEYS, (data, model, throughput), strict=True)}
    assert binding(pressures, None) in expected
