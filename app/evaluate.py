"""`ceiling eval`: run the case set with progress, print the summary, write reports, gate."""

from __future__ import annotations

from pathlib import Path

import typer

from ceiling.app.engines import Engine


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _replay_client(engine: Engine, model: str | None):
    """A client whose traffic vcrpy answers from cassettes: no server, no network."""
    from ceiling.agents.llm.client import LLMClient, LLMSettings, settings_from_env
    from ceiling.app.local_model import MODEL_NAME

    if engine is Engine.local:
        return LLMClient(
            LLMSettings(
                base_url="http://127.0.0.1:9/v1",
                model=model or MODEL_NAME,
                json_mode="json_object_schema",
                max_retries=0,
            )
        )
    settings = settings_from_env(model=model)
    return LLMClient(
        settings.model_copy(update={"base_url": settings.base_url or "http://127.0.0.1:9/v1", "max_retries": 0})
    )


def evaluate(
    cases_path: Path | None,
    report: Path | None,
    engine: Engine,
    record: bool,
    model: str | None,
    compare: Path | None,
    jobs: int,
    missing_only: bool = False,
    keep_matching: bool = False,
    suite: str = "cases",
) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from ceiling.app.engines import EngineError, open_engine
    from ceiling.app.inputs import InputError
    from ceiling.eval import gate, runner
    from ceiling.eval.cases import SUITES, CaseError, load_cases
    from ceiling.eval.report import check_folder as check_report_folder
    from ceiling.eval.report import compare as compare_reports
    from ceiling.eval.report import to_json, write
    from ceiling.eval.scorer import summarize

    kind = "deterministic" if engine is Engine.off else "replayed"
    if suite != "cases":  # each suite is gated by thresholds of its own
        kind = suite if engine is Engine.off else f"{suite}_{kind}"
    try:  # everything the run reads or writes is checked first, so no result is lost at the end
        cases = load_cases(cases_path or SUITES[suite])
        limits = gate.load_limits(kind)
        old_report = _read_report(compare) if compare is not None else None
        if report is not None:
            check_report_folder(report)
    except (CaseError, gate.ThresholdsError, InputError) as exc:
        _fail(str(exc))
    err = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]eval[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )
    try:
        with progress:
            task = progress.add_task(engine.value, total=len(cases))
            done = lambda result: progress.update(task, advance=1, description=f"{engine.value}: {result.id}")  # noqa: E731
            if engine is Engine.off:
                results = runner.run_rules(cases, jobs, on_done=done)
                label = "deterministic"
            elif record:
                with open_engine(
                    engine, model, on_status=lambda text: progress.update(task, description=text)
                ) as client:
                    if missing_only:
                        from ceiling.eval.recording import cassette_dir

                        cases = [
                            c for c in cases if not (cassette_dir(client.settings.model) / f"{c.id}.yaml").exists()
                        ]
                        progress.update(task, total=len(cases))
                    results = runner.run_llm(
                        cases, client, client.settings.model, record=True, on_done=done, keep_matching=keep_matching
                    )
                label = client.engine + " (recorded)"
            else:
                client = _replay_client(engine, model)
                results = runner.run_llm(cases, client, client.settings.model, record=False, on_done=done)
                label = client.engine + " (replayed)"
    except EngineError as exc:
        _fail(str(exc))
    summary = summarize(results)
    table = Table(title=f"ceiling eval: {label}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for field, value in summary["per_field"].items():
        table.add_row(f"{field} accuracy", "-" if value is None else f"{value:.0%}")
    for key in ("all_six", "numbers", "read", "loops", "citations_valid", "llm_survival"):
        table.add_row(key.replace("_", " "), "-" if summary[key] is None else f"{summary[key]:.0%}")
    table.add_row(
        "calls / tokens / s per case",
        f"{summary['calls_per_case']} / {summary['tokens_per_case']} / {summary['seconds_per_case']}",
    )
    Console().print(table)
    for result in results:
        for check in result.checks:
            if not check.passed:
                typer.echo(f"FAIL {result.id} {check.name}: expected {check.expected}, got {check.got}")
        if result.error:
            typer.echo(f"ERROR {result.id}: {result.error}")
        if result.skipped:
            typer.echo(f"SKIP {result.id}: {result.skipped}")
    if report is not None:
        try:
            for path in write(report, results, summary, label, {c.id: c for c in cases}):
                err.print(f"wrote {path}")
        except (InputError, OSError) as exc:
            _fail(str(exc) if isinstance(exc, InputError) else f"cannot write {report}: {exc.strerror or exc}")
    if old_report is not None:
        for line in compare_reports(old_report, to_json(results, summary, label)) or ["no change"]:
            typer.echo(line)
    below = gate.failures(summary, kind, limits=limits)
    for line in below:
        typer.echo(f"BELOW THRESHOLD {line}", err=True)
    return 1 if below or summary["errors"] else 0


MAX_REPORT_BYTES = 50_000_000  # report.json of a few hundred cases is ~1 MB


def _read_report(path: Path) -> dict:
    """A previous report.json for --compare, or InputError (read like any input: regular file, bounded)."""
    from ceiling.app.inputs import InputError, parse_structured, read_text_file

    old = parse_structured(read_text_file(path, MAX_REPORT_BYTES, str(path)), str(path), json_only=True)
    if not isinstance(old, dict) or not isinstance(old.get("summary"), dict) or not isinstance(old.get("cases"), list):
        raise InputError(f"{path}: not a report.json written by `ceiling eval --report`")
    return old


def write_new_case(description_path: Path, cases_dir: Path | None) -> None:
    from ceiling.app.inputs import InputError, read_input, write_text_file
    from ceiling.eval.cases import CASES_DIR, case_from_review
    from ceiling.graph.workflow import run

    try:
        description, _, _ = read_input(str(description_path))
    except InputError as exc:
        _fail(str(exc))
    folder = cases_dir if cases_dir is not None and cases_dir.is_dir() else CASES_DIR
    case_id = description_path.stem.replace(" ", "-")
    target = folder / f"{case_id}.yaml"
    if target.exists():
        _fail(f"{target} exists; rename the description or remove the old case")
    review = run(description)["review"]
    try:
        write_text_file(target, case_from_review(case_id, description, review))
    except InputError as exc:
        _fail(str(exc))
    typer.echo(f"wrote {target}: check every expectation against the chapter before committing it")
