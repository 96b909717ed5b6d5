"""The reference machine every ceiling is measured against, named in every review.

"Does it fit on one machine?" needs a machine. The default is one 8x H100 80 GB node; a team
reviewing for another box passes its own (YAML/JSON with these fields) via `--machine`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ReferenceMachine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "one 8x H100 80 GB node"
    gpus: int = 8
    gpu_memory_bytes: float = 80e9
    gpu_peak_flops_per_s: float = 989e12  # dense bf16, H100 SXM
    hbm_bytes_per_s: float = 3.35e12
    host_memory_bytes: float = 2e12
    local_disk_bytes: float = 30e12
    cpu_cores: int = 96
    scan_bytes_per_s: float = 1e9  # dedup/tokenize/ETL throughput of one node's CPUs
    intra_bandwidth_bytes_per_s: float = 450e9  # NVLink, each way
    intra_alpha_s: float = 0.5e-6
    inter_bandwidth_bytes_per_s: float = 50e9  # NDR InfiniBand 400 Gb/s
    inter_alpha_s: float = 5e-6
    mfu: float = Field(0.4, description="model FLOPs utilisation assumed for training")
    decode_batch: int = Field(64, description="sequences decoded together per replica")
    small_model_request_ms: float = Field(10.0, description="CPU time per request for a small (non-LLM) model")


def load_machine(path: Path | None) -> ReferenceMachine:
    """The default machine, or one read from a YAML/JSON file (unknown keys are an error)."""
    if path is None:
        return ReferenceMachine()
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return ReferenceMachine.model_validate(data)
