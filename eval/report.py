"""Eval reports: JUnit XML (one testcase per case and check), JSON (stable, for --compare),
and markdown with a per-stage accuracy chart and a confusion table per stage (PNG)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree as ET

from ceiling.eval.cases import Case
from ceiling.eval.scorer import STAGE_FIELDS, CaseResult

SCHEMA_VERSION = 1


def junit(results: list[CaseResult], engine: str) -> str:
    suite = ET.Element(
        "testsuite",
        name=f"ceiling-eval[{engine}]",
        tests=str(sum(max(len(r.checks), 1) for r in results)),
        failures=str(sum(1 for r in results for c in r.checks if not c.passed)),
        errors=str(sum(1 for r in results if r.error)),
    )
    for r in results:
        if r.skipped:
            case = ET.SubElement(suite, "testcase", classname=f"eval.{r.id}", name="review", time="0")
            ET.SubElement(case, "skipped", message=r.skipped)
            continue
        if r.error:
            case = ET.SubElement(suite, "testcase", classname=f"eval.{r.id}", name="review", time=str(r.seconds))
            ET.SubElement(case, "error", message=r.error)
            continue
        for c in r.checks:
            case = ET.SubElement(suite, "testcase", classname=f"eval.{r.id}", name=c.name, time="0")
            if not c.passed:
                ET.SubElement(case, "failure", message=f"expected {c.expected}, got {c.got}")
    return ET.tostring(suite, encoding="unicode")


def to_json(results: list[CaseResult], summary: dict, engine: str) -> dict:
    return {"schema": SCHEMA_VERSION, "engine": engine, "summary": summary, "cases": [r.model_dump() for r in results]}


def compare(old: dict, new: dict) -> list[str]:
    """What got better or worse since a previous JSON report: summary figures and per-case checks."""
    lines = []
    number = (int, float)
    for key, value in new["summary"].items():
        before = old.get("summary", {}).get(key)
        if isinstance(value, dict):
            for field, v in value.items():
                b = before.get(field) if isinstance(before, dict) else None  # an old report may lack or garble a figure
                if isinstance(b, number) and isinstance(v, number) and v != b:
                    lines.append(f"{key}.{field}: {b:.2%} -> {v:.2%} ({'better' if v > b else 'worse'})")
        elif (
            isinstance(value, (int, float))
            and isinstance(before, (int, float))
            and value != before
            and key not in ("cases", "seconds_per_case")
        ):
            lines.append(f"{key}: {before} -> {value}")
    old_checks = {
        (c.get("id"), k.get("name")): k.get("passed")
        for c in old.get("cases", [])
        if isinstance(c, dict)
        for k in c.get("checks") or []
        if isinstance(k, dict)
    }
    for case in new["cases"]:
        for check in case["checks"]:
            was = old_checks.get((case["id"], check["name"]))
            if was is not None and was != check["passed"]:
                lines.append(
                    f"{case['id']} {check['name']}: {'fixed' if check['passed'] else 'BROKEN'} (now {check['got']}, "
                    f"expected {check['expected']})"
                )
    return lines


def _charts(results: list[CaseResult], summary: dict, cases: dict[str, Case], folder: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    fields = [f for f in STAGE_FIELDS if summary["per_field"].get(f) is not None]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(fields, [summary["per_field"][f] for f in fields], color="#4c72b0")
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.set_title("Per-stage accuracy")
    fig.tight_layout()
    fig.savefig(folder / "accuracy.png", dpi=110)
    plt.close(fig)
    names.append("accuracy.png")
    for field in ("ceiling", "topology", "mode", "metric"):
        pairs = Counter()
        for r in results:
            expected = getattr(cases[r.id].expect, field)
            if expected and r.answers:
                pairs[(expected[0], r.answers[field])] += 1
        if not pairs:
            continue
        rows = sorted({e for e, _ in pairs})
        cols = sorted({g for _, g in pairs})
        fig, ax = plt.subplots(figsize=(1.4 + 1.1 * len(cols), 1.2 + 0.5 * len(rows)))
        grid = [[pairs[(e, g)] for g in cols] for e in rows]
        ax.imshow(grid, cmap="Blues")
        ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
        ax.set_yticks(range(len(rows)), rows)
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                ax.text(j, i, str(value), ha="center", va="center")
        ax.set_xlabel("reviewer")
        ax.set_ylabel("expected (first allowed)")
        ax.set_title(f"{field}: confusion")
        fig.tight_layout()
        fig.savefig(folder / f"confusion-{field}.png", dpi=110)
        plt.close(fig)
        names.append(f"confusion-{field}.png")
    return names


def markdown(results: list[CaseResult], summary: dict, engine: str, images: list[str]) -> str:
    pct = lambda v: "-" if v is None else f"{v:.0%}"  # noqa: E731
    out = [
        f"# ceiling eval ({engine})",
        "",
        f"{summary['cases']} cases, {summary['skipped']} skipped, {summary['errors']} errors.",
        "",
        "| figure | value |",
        "|---|---|",
    ]
    out += [f"| {f} accuracy | {pct(v)} |" for f, v in summary["per_field"].items()]
    out += [
        f"| all six right | {pct(summary['all_six'])} |",
        f"| numbers | {pct(summary['numbers'])} |",
        f"| numbers read from the text | {pct(summary.get('read'))} |",
        f"| loop correctness | {pct(summary['loops'])} |",
        f"| citation validity | {pct(summary['citations_valid'])} |",
        f"| LLM proposals that survived the critic | {pct(summary['llm_survival'])} |",
        f"| calls / tokens / seconds per case | {summary['calls_per_case']} / {summary['tokens_per_case']} / "
        f"{summary['seconds_per_case']} |",
        "",
    ]
    out += [f"![{name}]({name})" for name in images]
    failures = [(r.id, c) for r in results for c in r.checks if not c.passed]
    out += ["", "## Failed checks", ""] + (
        [f"- {cid} / {c.name}: expected {c.expected}, got {c.got}" for cid, c in failures] or ["none"]
    )
    out += [f"- {r.id}: ERROR {r.error}" for r in results if r.error]
    return "\n".join(out) + "\n"


REPORT_FILES = (
    "report.md",
    "report.json",
    "junit.xml",
    "accuracy.png",
    *(f"confusion-{field}.png" for field in ("ceiling", "topology", "mode", "metric")),
)


def check_folder(folder: Path) -> None:
    """InputError when a report file's path is taken by a FIFO or a device: checked before the eval
    runs, so its results are never lost to a write that blocks or fails at the end."""
    from ceiling.agents.files import check_writable

    for name in REPORT_FILES:
        check_writable(folder / name)


def write(folder: Path, results: list[CaseResult], summary: dict, engine: str, cases: dict[str, Case]) -> list[Path]:
    from ceiling.agents.files import write_text_file

    folder.mkdir(parents=True, exist_ok=True)
    check_folder(folder)
    write_text_file(folder / "junit.xml", junit(results, engine))
    write_text_file(folder / "report.json", json.dumps(to_json(results, summary, engine), indent=2))
    images = _charts(results, summary, cases, folder)
    write_text_file(folder / "report.md", markdown(results, summary, engine, images))
    return [folder / n for n in ("report.md", "report.json", "junit.xml", *images)]
