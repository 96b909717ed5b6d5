"""Recording modes (eval/recording.py) against a real HTTP endpoint on 127.0.0.1 (tests/fault_server.py), through
vcrpy and the openai SDK: a whole re-recording, and one that keeps only the recorded calls a run still makes."""

from __future__ import annotations

import yaml
from pydantic import BaseModel

from ceiling.agents.llm.client import LLMClient, LLMSettings
from ceiling.eval import recording
from tests.fault_server import FaultServer


class _Facts(BaseModel):
    facts: list = []


def _ask(server: FaultServer, *prompts: str) -> None:
    client = LLMClient(LLMSettings(base_url=server.base_url, model="fault-model", max_retries=0))
    for prompt in prompts:  # the fault server answers a prompt that asks for {"facts": ...} with an empty list
        client.complete_json([{"role": "user", "content": prompt + ' Reply as {"facts": []}'}], _Facts, "test")


def _recorded_prompts(path) -> list[str]:
    import json

    return [
        json.loads(i["request"]["body"])["messages"][0]["content"].split(" Reply")[0]
        for i in yaml.safe_load(path.read_text())["interactions"]
    ]


def _record(tmp_path, monkeypatch, prompts, keep_matching: bool) -> int:
    """Record `prompts` into tmp_path/case.yaml; the number of requests the server saw."""
    monkeypatch.setattr(recording, "CASSETTES", tmp_path)
    recorder = recording.make_vcr("m", record=True, keep_matching=keep_matching)
    with FaultServer("ok") as server:
        with recording.use_cassette(recorder, "case.yaml", record=True):
            _ask(server, *prompts)
        return len(server.requests)


def test_keep_matching_records_only_new_calls_and_drops_the_ones_no_longer_made(tmp_path, monkeypatch):
    assert _record(tmp_path, monkeypatch, ["stage one", "stage two"], keep_matching=False) == 2
    cassette = tmp_path / "m" / "case.yaml"
    assert _recorded_prompts(cassette) == ["stage one", "stage two"]
    # a new call before an unchanged one, and one call the run no longer makes
    assert _record(tmp_path, monkeypatch, ["mismatch check", "stage one"], keep_matching=True) == 1
    assert sorted(_recorded_prompts(cassette)) == ["mismatch check", "stage one"]
    assert not (tmp_path / "m" / "case.yaml.previous").exists()


def test_a_whole_re_recording_asks_the_server_every_call_again(tmp_path, monkeypatch):
    _record(tmp_path, monkeypatch, ["stage one", "stage two"], keep_matching=False)
    assert _record(tmp_path, monkeypatch, ["stage one"], keep_matching=False) == 1
    assert _recorded_prompts(tmp_path / "m" / "case.yaml") == ["stage one"]
