"""The design's own fleet, as real text writes it: "48 A100s across six servers", "12 nodes x 4 L40S",
"4 nodes of 8xH200 141GB", "16 servers, each with 8 H100 GPUs", "MI300Xx192GB".

Accelerators are vocabulary (data below) over one grammar, so a new device is one row. A device's
name carries digits ("H100", "MI300X") that are never counts; the fleet's numbers (devices, nodes,
devices per node, memory per device) are read here and the generic reader skips them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ceiling.agents.reading.cues import BENCHMARKED, NOT_THE_DESIGNS
from ceiling.agents.reading.text_numbers import normalize

GB = 1e9

# Accelerator -> memory of one device in GB (the common variant; a size written beside the name wins).
DEVICES: dict[str, float] = {
    "h100": 80,
    "h200": 141,
    "h800": 80,
    "h20": 96,
    "a100": 80,
    "a800": 80,
    "a10g": 24,
    "a10": 24,
    "a6000": 48,
    "l40s": 48,
    "l40": 48,
    "l4": 24,
    "t4": 16,
    "v100": 32,
    "p100": 16,
    "b200": 192,
    "b100": 192,
    "gb200": 192,
    "gh200": 96,
    "mi300x": 192,
    "mi325x": 256,
    "mi250x": 128,
    "mi250": 128,
    "mi210": 64,
    "gaudi2": 96,
    "gaudi3": 128,
    "rtx 4090": 24,
    "rtx 3090": 24,
    "tpu v3": 32,
    "tpu v4": 32,
    "tpu v5e": 16,
    "tpu v5p": 95,
    "tpu v6e": 32,
}
# Accelerator -> (dense bf16/fp16 tensor TFLOP/s, memory bandwidth TB/s) of one device, from the vendors' data sheets
# (dense, not the "with sparsity" figure). A design's node is compared with the reference node by these: compute for
# training and prefill, memory bandwidth for decode. A device not listed is counted as a reference device, said so.
SPEEDS: dict[str, tuple[float, float]] = {
    "h100": (989, 3.35),
    "h200": (989, 4.8),
    "h800": (989, 3.35),
    "h20": (148, 4.0),
    "a100": (312, 2.0),
    "a800": (312, 2.0),
    "a10g": (125, 0.6),
    "a10": (125, 0.6),
    "a6000": (155, 0.77),
    "l40s": (362, 0.86),
    "l40": (181, 0.86),
    "l4": (121, 0.3),
    "t4": (65, 0.32),
    "v100": (125, 0.9),
    "b200": (2250, 8.0),
    "mi300x": (1307, 5.3),
    "tpu v4": (275, 1.2),
    "tpu v5e": (197, 0.82),
}
_NAMES = sorted(DEVICES, key=len, reverse=True)  # "a100" before "a10", "l40s" before "l40" and "l4"
_DEVICE = (
    r"(?P<device>(?:nvidia\s+|amd\s+|google\s+|intel\s+)?(?:"
    + "|".join(re.escape(n).replace(r"\ ", r"[\s-]?") for n in _NAMES)
    + r"))(?:[\s-]*(?:sxm\d?|pcie|nvl))?"
    # "A100 80GB", "MI300Xx192GB", "A100 (40GB)"
    + r"(?:[\s-]*x?\s*(?P<memory>\d+)\s*g[bo]|\s*\(\s*(?P<memory_in_brackets>\d+)\s*g[bo](?:\s*\)|\b))?s?"
    + r"(?:\s+(?:gpus?|cards?|chips?|accelerators?|devices?))?"
)
_GENERIC = r"(?:gpus?|accelerators?|cards?|chips?|devices?)"
_NODE = r"(?:nodes?|servers?|machines?|hosts?|boxes|box|instances?|vms?|pods?)"
_TIMES = r"\s*(?:x|×|\*)\s*"
# A count, never a digit inside a name ("n1-standard-8"); atomic, so a long run of digits is never re-split (linear).
_COUNT = r"(?<![\w.,-])(?P<{name}>(?>\d{{1,3}}(?:,\d{{3}})+|\d+))"

_FLEET_PATTERNS = [  # the first that matches a sentence reads it
    # "12 nodes x 4 L40S", "4 nodes of 8xH200", "16-node cluster with 8 H100s each"
    re.compile(
        _COUNT.format(name="nodes")
        + rf"[\s-]*{_NODE}(?:\s+cluster)?\s*(?:{_TIMES}|\s+of\s+|,?\s+each\s+with\s+|\s+with\s+)"
        + _COUNT.format(name="per")
        + rf"(?:{_TIMES}|\s*)(?:{_DEVICE}|{_GENERIC})",
        re.I,
    ),
    # "16 servers, each with 8 H100 GPUs", "8 nodes; each node has 8 A100 80GB cards"
    re.compile(
        _COUNT.format(name="nodes")
        + rf"[\s-]*{_NODE}\b[^.]{{0,60}}?\beach(?:\s+{_NODE})?\s+(?:has|with|having|holds|carries|contains|of)\s+"
        + _COUNT.format(name="per")
        + rf"(?:{_TIMES}|\s*)(?:{_DEVICE}|{_GENERIC})",
        re.I,
    ),
    # a machine named by its instance type, its devices in brackets, "each" before or after them:
    # "4x g5.12xlarge (4 A10G 24GB each)", "8 a2-highgpu-8g instances (each with 8 Nvidia A100 GPUs)"
    re.compile(
        _COUNT.format(name="nodes")
        + r"\s*(?:x|×)?\s*(?:[\w.-]+\s+){0,2}?\(\s*(?P<each_first>each\s+(?:with|has|having)\s+)?"
        + _COUNT.format(name="per")
        + rf"(?:{_TIMES}|\s*)(?:[\w-]+\s+)?(?:{_DEVICE}|{_GENERIC})[^)]{{0,30}}?(?(each_first)|\b(?:each|apiece)\s*)\)",
        re.I,
    ),
    # "48 A100s across six servers", "8xH200", "2,048 TPU v4 chips", "8 40GB NVIDIA A100s",
    # "1024 V100 GPUs (64 DGX-2 nodes)"
    re.compile(
        _COUNT.format(name="count")
        + r"(?:\s+(?P<memory_before>\d+)\s*gb)?"  # whitespace first: a run of digits splits no way
        + rf"(?:{_TIMES}|\s*)(?:{_DEVICE})(?:[^.]{{0,30}}?(?:\b(?:across|over|in|on)\s+|\(\s*)"
        + _COUNT.format(name="nodes")
        + rf"\s+(?:[\w-]+\s+){{0,2}}?{_NODE})?",
        re.I,
    ),
]
_DEVICE_ALONE = re.compile(_DEVICE, re.I)
_PER_NODE_WORDS = re.compile(rf"\s*(?:per|in each|on each|a|an|each)\s+{_NODE}\b", re.I)
_EACH_NODE_BEFORE = re.compile(  # "Each host has 8 H100 GPUs", "instances, each with 8 A100s": one node's share
    rf"\beach\s+{_NODE}\s+(?:has|with|having|holds|carries|contains|of|is equipped with)\s*$"
    rf"|\b{_NODE},?\s+each\s+(?:has|with|having|holding|of)\s*$"
    rf"|\b{_NODE}\s+(?:of|with)\s*$",
    re.I,
)
_USING = re.compile(
    rf"\b(?:using|uses|runs?\s+on|running\s+on|trains?\s+on)\s+(?:only\s+)?{_COUNT.format(name='n')}\s+"
    rf"(?:of\s+(?:them|these|those)\s+)?(?:[\w-]+\s+)?{_GENERIC}",
    re.I,
)
_NODE_AFTER = re.compile(rf"\s*{_NODE}\b", re.I)  # "2 MI300X boxes": boxes counted, not devices
_MULTIPLIED = re.compile(rf"\d+{_TIMES}", re.I)  # "8xA100", "8X A100": a count multiplying a device
_NODES_BEFORE = re.compile(r"(?:(?P<n>\d+)|\ba|\ban|\bone)\s+$", re.I)


@dataclass
class Fleet:
    """What one sentence says of the fleet; `spans` are the numbers read here (start, end)."""

    devices: int | None = None
    per_node: int | None = None
    memory: float | None = None  # bytes of one device
    memory_stated: bool = False
    device: str | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.devices is not None or self.per_node is not None or self.memory is not None


def _int(text: str | None) -> int | None:
    return int(text.replace(",", "")) if text else None


def read(sentence: str) -> Fleet:
    """The fleet one (normalized) sentence states, or an empty Fleet."""
    fleet = Fleet()
    for pattern in _FLEET_PATTERNS:
        match = pattern.search(sentence)
        if not match:
            continue
        groups = match.groupdict()
        nodes, per, count = _int(groups.get("nodes")), _int(groups.get("per")), _int(groups.get("count"))
        if count is not None and (
            _PER_NODE_WORDS.match(sentence, match.end()) or _EACH_NODE_BEFORE.search(sentence[: match.start()])
        ):
            per, count = count, None  # "8 H100s per node": a node's share, not the fleet
        elif count is not None and _NODE_AFTER.match(sentence, match.end()):
            if _MULTIPLIED.match(sentence, match.start("count")):  # "1 8xA100 40GB node": a node of 8, so many nodes
                before = _NODES_BEFORE.search(sentence[: match.start("count")])
                nodes = (_int(before.group("n")) or 1) if before else 1
                per, count = count, None
            else:
                count = None  # "2 MI300X boxes": the boxes are counted, not their devices
        if per is not None and nodes is not None:
            fleet.devices, fleet.per_node = nodes * per, per
        elif count is not None:
            fleet.devices = count
            if nodes:
                fleet.per_node = count // nodes if count % nodes == 0 else None
        else:
            fleet.per_node = per
        fleet.spans = [match.span(g) for g in groups if groups.get(g) and g not in ("device", "each_first")]
        used = _USING.search(sentence, match.end())
        if used and fleet.devices and _int(used.group("n")) < fleet.devices:
            # "416 A100 GPUs (52 nodes) - using 384 gpus (48 nodes) and keeping 32 in reserve": the part it runs
            fleet.devices = _int(used.group("n"))
            fleet.spans.append(used.span("n"))
        if groups.get("memory_before"):
            fleet.memory, fleet.memory_stated = float(groups["memory_before"]) * GB, True
        break
    device = _DEVICE_ALONE.search(sentence)
    if device:
        fleet.device = " ".join(device.group("device").lower().split())
        key = device_key(fleet.device)
        written = next((g for g in ("memory", "memory_in_brackets") if device.group(g)), None)
        if written:
            fleet.memory, fleet.memory_stated = float(device.group(written)) * GB, True
            fleet.spans.append(device.span(written))
        elif fleet.memory_stated:
            pass  # written before the name ("8 40GB A100s")
        elif key in DEVICES:
            fleet.memory = DEVICES[key] * GB
    return fleet


def device_key(name: str) -> str:
    """The vocabulary's key for a device as written ("NVIDIA A100", "tpu-v4")."""
    key = re.sub(r"^(?:nvidia|amd|google|intel)\s+", "", " ".join(name.lower().split())).replace("-", " ")
    return key if key in DEVICES else key.replace(" ", "")


def name_digits(sentence: str) -> list[tuple[int, int]]:
    """Spans of accelerator names ("H100", "TPU v4"): their digits are never quantities."""
    return [m.span("device") for m in _DEVICE_ALONE.finditer(sentence)]


_GPU_WORDS = re.compile(rf"{_GENERIC}|{_DEVICE}|\btpus?\b", re.I)


def counts_accelerators(quote: str | None) -> bool:
    """Whether a count's sentence is about accelerators ("512 GPUs"), named or not."""
    return bool(quote and _GPU_WORDS.search(quote))


def stated_fleet(workers: float | None, quote: str | None, per_node: float | None) -> tuple[float | None, float | None]:
    """(devices, nodes) of the fleet the design states, from the workers read and their sentence:
    "64 H100s" are devices, "2,500 spot GPU nodes" nodes, "12 nodes x 8 GPUs" both. A count read
    from a measured result ("one 8-GPU server sustained 15,000 images/s in our load test") is a
    benchmark's machine, and one the text owns but leaves idle ("we also own a 512-GPU cluster that sits half
    idle") is not the design's either: (None, None)."""
    if not workers or not quote or BENCHMARKED.search(quote) or NOT_THE_DESIGNS.search(quote):
        return None, None
    sentence = normalize(quote)[0]
    if per_node and read(sentence).devices != workers and _counts_nodes(sentence, workers):
        return workers * per_node, workers
    if per_node:
        return workers, workers / per_node
    if read(sentence).devices == workers or not _counts_nodes(sentence, workers):
        return (workers, None) if _GPU_WORDS.search(sentence) else (None, workers)
    return None, workers


def _counts_nodes(sentence: str, count: float) -> bool:
    written = rf"(?:{int(count):,}|{int(count)})"
    return re.search(rf"(?<![\d,]){written}[\s-]*(?:[\w-]+\s+){{0,2}}?{_NODE}\b", sentence, re.I) is not None
