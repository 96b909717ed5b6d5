"""The reference machine every ceiling is measured against, named in every review.

"Does it fit on one machine?" needs a machine. The default is one 8x H100 80 GB node; a team
reviewing for another box passes its own (YAML/JSON with these fields) via `--machine`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

MAX_MACHINE_BYTES = 100_000  # a machine is a dozen numbers

# Floors: every capacity divides a need, so none may be zero, and none is smaller than any real part.
MIN_BYTES = 1e6  # memory or disk: 1 MB
MIN_BYTES_PER_S = 1e3  # slower than a modem
MIN_FLOPS_PER_S = 1e6


class ReferenceMachine(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = "one 8x H100 80 GB node"
    gpus: int = Field(8, ge=1)
    gpu_memory_bytes: float = Field(80e9, ge=MIN_BYTES)
    gpu_peak_flops_per_s: float = Field(989e12, ge=MIN_FLOPS_PER_S)  # dense bf16, H100 SXM
    hbm_bytes_per_s: float = Field(3.35e12, ge=MIN_BYTES_PER_S)
    host_memory_bytes: float = Field(2e12, ge=MIN_BYTES)
    local_disk_bytes: float = Field(30e12, ge=MIN_BYTES)
    cpu_cores: int = Field(96, ge=1)
    scan_bytes_per_s: float = Field(1e9, ge=MIN_BYTES_PER_S)  # dedup/tokenize/ETL throughput of one node's CPUs
    intra_bandwidth_bytes_per_s: float = Field(450e9, ge=MIN_BYTES_PER_S)  # NVLink, each way
    intra_alpha_s: float = Field(0.5e-6, gt=0, le=1.0)
    inter_bandwidth_bytes_per_s: float = Field(50e9, ge=MIN_BYTES_PER_S)  # NDR InfiniBand 400 Gb/s
    inter_alpha_s: float = Field(5e-6, gt=0, le=1.0)
    mfu: float = Field(0.4, gt=0, le=1, description="model FLOPs utilisation assumed for training")
    decode_batch: int = Field(64, ge=1, description="sequences decoded together per replica")
    prefill_mfu: float = Field(0.5, gt=0, le=1, description="model FLOPs utilisation of a prefill (compute-bound)")
    small_model_request_ms: float = Field(10.0, ge=1e-4, description="CPU time per request for a small (non-LLM) model")

    @model_validator(mode="before")
    @classmethod
    def _no_bools(cls, data):
        """pydantic reads `gpus: true` as 1 GPU; a bool is no capacity."""
        for key, value in data.items() if isinstance(data, dict) else ():
            if isinstance(value, bool):
                raise ValueError(f"field {key}: {value!r} is not a number")  # noqa: TRY004 - pydantic wants ValueError
        return data


def load_machine(path: Path | None) -> ReferenceMachine:
    """The default machine, or one read from a YAML/JSON file (unknown keys are an error). Bad files
    (not regular, not UTF-8, too deep, a field out of range) raise InputError with the file's name."""
    if path is None:
        return ReferenceMachine()
    from ceiling.agents.files import InputError, parse_structured, read_text_file

    data = parse_structured(read_text_file(path, MAX_MACHINE_BYTES, str(path)), str(path)) or {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of reference-machine fields")
    try:
        return ReferenceMachine.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")  # _no_bools names its field itself
        field = "" if message.startswith("field ") else f"field {'.'.join(map(str, first['loc']))}: "
        raise InputError(f"{path}: {field}{message}") from None
