"""Recorded LLM traffic (vcrpy): one cassette per case and model, matched on method, path and
JSON body, so a prompt change shows up as a missing recording instead of a silent replay.
Cassettes are only ever written by vcrpy from a real server's answers."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

CASSETTES = Path(__file__).resolve().parent / "cassettes"
SECRET_HEADERS = [
    "authorization",
    "api-key",
    "x-api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    "set-cookie",
]


def _json(body) -> object:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body


def json_body(r1, r2) -> None:
    """vcrpy matcher: equal JSON bodies, whatever the key order or spacing."""
    assert _json(r1.body) == _json(r2.body), "request bodies differ"


def cassette_dir(model: str) -> Path:
    return CASSETTES / re.sub(r"[^A-Za-z0-9._-]+", "-", model)


def make_vcr(model: str, record: bool, keep_matching: bool = False):
    """`keep_matching` (with `record`): replay the recorded calls a run still makes, record only the new ones and
    drop the ones it no longer makes, so a cassette holds exactly one run's traffic, each reply a real server's
    answer to that exact request (a prompt added before unchanged ones costs one call per case, not a whole run)."""
    import vcr

    recorder = vcr.VCR(
        cassette_library_dir=str(cassette_dir(model)),
        record_mode=("new_episodes" if keep_matching else "all") if record else "none",
        drop_unused_requests=keep_matching,
        match_on=["method", "path", "json_body"],
        filter_headers=SECRET_HEADERS,
        filter_query_parameters=["api_key", "key"],
        decode_compressed_response=True,
    )
    recorder.register_matcher("json_body", json_body)
    return recorder


class RecordingError(RuntimeError):
    """A recording that captured nothing; the old cassette is kept."""


@contextlib.contextmanager
def use_cassette(recorder, name: str, record: bool):
    """vcrpy's `use_cassette`, except that a recording replaces the old file whole (vcrpy's "all"
    mode appends, and stale traffic would stay in the repository and could be replayed; `keep_matching` keeps only
    the recorded calls the run made again), and
    an interrupted recording (Ctrl-C, SIGTERM, an error) puts the old file back."""
    import shutil

    path = Path(recorder.cassette_library_dir) / name
    kept = path.with_suffix(".yaml.previous")
    if record and path.exists():
        if recorder.record_mode == "new_episodes":  # vcrpy replays from the file: keep it, with a copy to restore
            shutil.copy2(path, kept)
        else:
            path.replace(kept)
    try:
        with recorder.use_cassette(name) as cassette:
            yield cassette
        if record and not path.exists():  # every call failed (a server that died): nothing to replace it with
            raise RecordingError(f"{name}: the endpoint answered no request, so nothing was recorded")
    except BaseException:
        if record:
            path.unlink(missing_ok=True)
            if kept.exists():
                kept.replace(path)
        raise
    kept.unlink(missing_ok=True)
