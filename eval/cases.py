"""Eval cases: one YAML file per case, in eval/cases/ (the project's own designs) or eval/real/
(verbatim excerpts of public documents, with their source and the numbers a reader must read)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

CASES_DIR = Path(__file__).resolve().parent / "cases"
REAL_DIR = Path(__file__).resolve().parent / "real"
SUITES = {"cases": CASES_DIR, "real": REAL_DIR}


class DistributeExpect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    must: list[str] = Field(default_factory=list)
    may: list[str] = Field(default_factory=list)
    must_not: list[str] = Field(default_factory=list)


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ceiling: list[str] | None = None
    distribute: DistributeExpect | None = None
    topology: list[str] | None = None
    mode: list[str] | None = None
    metric: list[str] | None = None


class NumberExpect(BaseModel):
    value: float
    tol: float = 0.0


class ReadExpect(BaseModel):
    """A number the text states, in the field's canonical unit; `tol` is relative (0.05 = 5%)."""

    model_config = ConfigDict(extra="forbid")
    value: float
    tol: float = Field(0.0, ge=0)


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    description: str
    source: str = ""  # where a real document's excerpt was copied from (repository and path, or paper)
    kind: str = ""  # training | serving | recommendation | search | federated | multi_agent | data_pipeline
    expect: Expect = Field(default_factory=Expect)
    numbers: dict[str, NumberExpect] = Field(default_factory=dict)
    read: dict[str, ReadExpect] = Field(default_factory=dict)  # SystemFacts field -> the value the text states
    loops: Literal["must", "must_not", "any"] = "any"
    feasible: list[bool] | None = None
    rationale: str = ""


class CaseError(ValueError):
    pass


MAX_CASE_BYTES = 200_000  # a description may hold 100,000 bytes; the rest is expectations


def load_case(path: Path) -> Case:
    """One case file, its description put through the same checks as `ceiling review` input."""
    from ceiling.agents.files import InputError, parse_structured, read_text_file
    from ceiling.agents.reading.description import check_description

    try:  # a regular file only (a FIFO would block), UTF-8, bounded in size and depth
        data = parse_structured(read_text_file(path, MAX_CASE_BYTES, path.name), path.name)
        if not isinstance(data, dict):
            raise CaseError(f"{path.name}: expected a mapping with id, description and expect")
        case = Case.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CaseError(f"{path.name}: field {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    except InputError as exc:
        raise CaseError(str(exc)) from None
    if case.id != path.stem:
        raise CaseError(f"{path.name}: id {case.id!r} does not match the file name")
    checked = check_description(case.description, f"{path.name}: description")
    if not checked.ok:
        raise CaseError(checked.error)
    return case.model_copy(update={"description": checked.text})


def load_cases(where: Path | None = None) -> list[Case]:
    """A single case file, or every *.yaml in a folder (default eval/cases/), sorted by id."""
    where = where or CASES_DIR
    if not where.is_dir():  # a file, or anything else load_case refuses by name (a FIFO)
        return [load_case(where)]
    paths = sorted(where.glob("*.yaml"))
    if not paths:
        raise CaseError(f"{where}: no *.yaml case files")
    return [load_case(p) for p in paths]


def case_from_review(case_id: str, description: str, review) -> str:
    """A new case (YAML text) from the current verdict, for a person to correct."""
    data = {
        "id": case_id,
        "description": description,
        "expect": {
            "ceiling": [review.ceiling],
            "distribute": {
                "must": list(review.distribute),
                "must_not": [a["axis"] for a in review.axes if a["axis"] not in review.distribute],
            },
            "topology": [review.topology],
            "mode": [review.mode],
            "metric": [review.metric],
        },
        "loops": "must" if review.loops else "must_not",
        "feasible": [review.feasible],
        "rationale": "TODO: written from the reviewer's current verdict; correct it and cite the chapter.",
    }
    if review.tax.get("slo_ms") is not None:
        data["numbers"] = {
            "communication_ms": {"value": review.tax["communication_ms"], "tol": 0.01},
            "slo_ms": {"value": review.tax["slo_ms"], "tol": 0},
        }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
