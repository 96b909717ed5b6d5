"""The design gate of `ceiling review --fail-on ...`: what each check finds in a review, the one-table summary of
several designs, their JUnit XML and the exit code, so a CI job can fail a pull request on its design docs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

# Exit codes of `ceiling review`, as the design gate's users expect them: 1 a design failed the gate, 2 the review could
# not be made as asked (bad input, usage, or an engine the settings cannot start), so a CI job tells "fix the design"
# from "fix the job".
EXIT_OK = 0
EXIT_GATE = 1  # every design was reviewed and one failed a --fail-on check
EXIT_INPUT = 2  # bad input or usage: a design could not be read (the others are still reviewed)
EXIT_ENGINE = 2  # the engine could not start as configured (no endpoint, a missing GGUF): nothing reviewed


class Check(StrEnum):
    infeasible = "infeasible"  # the review's verdict
    over_budget = "over-budget"  # the communication tax of the design as described breaks its budget
    assumed = "assumed"  # the verdict rests on an assumed quantity that could flip it


@dataclass
class Finding:
    check: Check
    message: str


@dataclass
class Outcome:
    """One design of a run: its review and what the gate found in it, or why it could not be reviewed."""

    source: str  # as given on the command line ("stdin" for -)
    review: object | None = None  # a schemas.Review
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    markdown: str = ""  # the review for people, without its JSON record (the JUnit testcase's output)


def checks_of(fail_on: list[Check] | None, fail_on_infeasible: bool) -> list[Check]:
    """The checks asked for, each once, in Check's order (--fail-on-infeasible is --fail-on infeasible)."""
    chosen = set(fail_on or ()) | ({Check.infeasible} if fail_on_infeasible else set())
    return [check for check in Check if check in chosen]


def findings(review, facts, checks: list[Check]) -> list[Finding]:
    """What each check finds in a finished review (`facts`: the run's completed SystemFacts)."""
    found = []
    if Check.infeasible in checks and not review.feasible:
        found.append(Finding(Check.infeasible, review.infeasible_because or "the design is infeasible"))
    if Check.over_budget in checks and review.tax.get("within_budget") is False:
        found.append(Finding(Check.over_budget, _over_budget(review.tax)))
    if Check.assumed in checks:
        sensitive = _verdict_flipping_assumptions(facts, review.break_evens)
        if sensitive:
            found.append(Finding(Check.assumed, "the verdict rests on assumed quantities: " + "; ".join(sensitive)))
    return found


def _over_budget(tax: dict) -> str:
    if tax.get("slo_ms") is not None:
        against = f"a {tax['slo_ms']:,.4g} ms budget"
    elif tax.get("compute_ms") is not None:
        against = f"{tax['compute_ms']:,.4g} ms of compute per step"
    else:
        against = "its budget"
    message = (
        f"the {tax.get('kind', 'communication')} tax of the design as described is {tax['communication_ms']:,.4g} ms"
    )
    message += f" against {against}"
    if tax.get("budget_left_ms") is not None:
        message += f", {-tax['budget_left_ms']:,.4g} ms over"
    final = tax.get("final") or {}
    if final.get("within_budget"):
        message += f" (the critic's revision brings it to {final['communication_ms']:,.4g} ms)"
    return message


def _verdict_flipping_assumptions(facts, break_evens: list[dict]) -> list[str]:
    """The assumed quantities the chat would ask for (sensitivity.questions decides which can flip the verdict)."""
    from ceiling.agents.review.sensitivity import ASKED_AS, questions
    from ceiling.agents.scoring.taxes import BreakEven

    asked = questions(facts, [BreakEven.model_validate(b) for b in break_evens])
    return [
        f"{ASKED_AS[q.field][0]} assumed {q.assumed:,.4g} {q.unit}, the verdict flips at {q.flips_at:,.4g} {q.unit} "
        f"({q.why})"
        for q in asked
    ]


def exit_code(outcomes: list[Outcome]) -> int:
    if any(o.error for o in outcomes):
        return EXIT_INPUT
    return EXIT_GATE if any(o.findings for o in outcomes) else EXIT_OK


def review_file_names(sources: list[str], suffix: str) -> list[str]:
    """One file name per design for `-o DIR`: the design's stem + suffix; a second design of the same stem gets -2."""
    from pathlib import Path

    names: list[str] = []
    for source in sources:
        stem = "stdin" if source == "-" else Path(source).stem
        name, n = f"{stem}{suffix}", 1
        while name in names:
            n += 1
            name = f"{stem}-{n}{suffix}"
        names.append(name)
    return names


# ---- the summary: one markdown table (stderr, $GITHUB_STEP_SUMMARY) -----------------------------------------------


def summary(outcomes: list[Outcome], checks: list[Check]) -> str:
    """Design, verdict, answer, gate findings: one row per design. Every cell from a description is inert text."""
    from ceiling.agents.review.writer import as_text

    rows = ["| Design | Verdict | Answer | Gate |", "|---|---|---|---|"]
    for o in outcomes:
        if o.error is not None:
            rows.append(f"| {as_text(o.source)} | not reviewed | {as_text(o.error)} | error |")
            continue
        verdict = "feasible" if o.review.feasible else "**infeasible**"
        if not checks:
            gate = "not gated"
        elif o.findings:
            gate = "**fail**: " + "; ".join(f"{f.check}: {as_text(f.message)}" for f in o.findings)
        else:
            gate = "pass"
        rows.append(f"| {as_text(o.source)} | {verdict} | {as_text(o.review.answer)} | {gate} |")
    reviewed = [o for o in outcomes if o.error is None]
    tally = f"{len(reviewed)} of {len(outcomes)} design(s) reviewed"
    if checks:
        tally += f"; {sum(bool(o.findings) for o in reviewed)} failed the gate (--fail-on {', '.join(checks)})"
    return "\n".join(["### ceiling design review", "", *rows, "", tally + "."]) + "\n"


# ---- JUnit XML: one testsuite, a testcase per design and per check -------------------------------------------------

# Characters XML 1.0 cannot carry even escaped (control characters a description may hold): dropped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def junit(outcomes: list[Outcome], checks: list[Check]) -> str:
    """The run as JUnit XML: per design a `review` testcase (an <error> when it could not be reviewed, the review
    as its output) and one testcase per --fail-on check (a <failure> with the finding's message). The same test
    names on every run, so a CI's test history follows each design and check."""
    import xml.etree.ElementTree as ET

    cases = []
    for o in outcomes:
        review_case = ET.Element("testcase", classname=_xml_text(o.source), name="review", time=f"{o.seconds:.3f}")
        if o.error is not None:
            ET.SubElement(review_case, "error", message=_xml_text(o.error), type="bad input")
            cases.append(review_case)
            continue
        ET.SubElement(review_case, "system-out").text = _xml_text(o.markdown)
        cases.append(review_case)
        found = {f.check: f for f in o.findings}
        for check in checks:
            case = ET.Element("testcase", classname=_xml_text(o.source), name=f"fail-on {check}", time="0.000")
            if check in found:
                failure = ET.SubElement(case, "failure", message=_xml_text(found[check].message), type=str(check))
                failure.text = _xml_text(f"{found[check].message}\n\n{o.review.answer}")
            cases.append(case)
    counts = {
        "tests": str(len(cases)),
        "failures": str(sum(case.find("failure") is not None for case in cases)),
        "errors": str(sum(case.find("error") is not None for case in cases)),
        "skipped": "0",
        "time": f"{sum(o.seconds for o in outcomes):.3f}",
    }
    root = ET.Element("testsuites", name="ceiling", **counts)
    suite = ET.SubElement(root, "testsuite", name="ceiling design review", **counts)
    suite.extend(cases)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
