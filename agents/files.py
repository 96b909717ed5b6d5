"""Reading and writing files the user names, and parsing the YAML or JSON in them, so that bad input
fails with one clear line (an `InputError`) instead of a hang, a traceback or a crash: the layer every
part that opens a user's file uses (the CLI, machine files, saved reviews, eval cases, thresholds)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_NESTING = 64  # a review's JSON nests ~6 deep; parsers recurse once per level, so 10,000 levels crash them


class InputError(ValueError):
    """Bad user input; the CLI prints it as `error: <message>` and exits 2."""


class TooDeep(InputError):
    """Structured input nested deeper than MAX_NESTING."""


# ---- files: only regular files are read or written --------------------------------------------
# Opening a FIFO waits for the other end forever and a device never ends, so every path is opened
# without blocking and checked with fstat before a byte moves.
_KINDS = [
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
]


def _refuse_special(mode: int, name: str) -> None:
    if stat.S_ISDIR(mode):
        raise InputError(f"{name}: is a directory, expected a file")
    if not stat.S_ISREG(mode):
        kind = next((label for is_kind, label in _KINDS if is_kind(mode)), "a special file")
        raise InputError(f"{name}: is {kind}, not a regular file")


def read_regular(path: str | Path, limit: int, name: str | None = None) -> bytes:
    """Up to `limit` + 1 bytes of a regular file (one more than allowed, so a caller can tell it is too
    large), or InputError: missing, unreadable, a directory, a FIFO, a device or a socket."""
    name = name or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        _refuse_special(os.fstat(fd).st_mode, name)
        return handle.read(limit + 1)


def read_text_file(path: str | Path, limit: int, name: str | None = None) -> str:
    """A regular file's UTF-8 text of at most `limit` bytes, or InputError."""
    name = name or str(path)
    data = read_regular(path, limit, name)
    if len(data) > limit:
        raise InputError(f"{name}: larger than {limit:,} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (bad byte at offset {exc.start})") from None


def _refuse_unwritable(mode: int, name: str) -> None:
    """An output may be a regular file or a character device (/dev/null, a terminal): writing to either
    returns. A FIFO waits for a reader that may never come, so it is refused like a socket."""
    if not stat.S_ISCHR(mode):
        _refuse_special(mode, name)


def check_writable(path: str | Path) -> None:
    """Refuse an output path that exists and cannot take a write that returns (a FIFO blocks it forever).
    Called before the work too, so a long review is never lost at the end."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None
    _refuse_unwritable(mode, str(path))


def write_text_file(path: str | Path, text: str) -> None:
    """Write `text` as UTF-8 to a regular file (created if missing) or a character device, or InputError."""
    check_writable(path)
    try:  # non-blocking: a FIFO put there since the check fails with ENXIO instead of waiting
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        mode = os.fstat(fd).st_mode
        _refuse_unwritable(mode, str(path))
        os.set_blocking(fd, True)  # a terminal may take its time; only the open had to be non-blocking
        if stat.S_ISREG(mode):
            handle.truncate(0)
        handle.write(text)


# ---- structured text: YAML or JSON, bounded in depth ----------------------------------------------


def parse_structured(text: str, name: str, json_only: bool = False) -> object:
    """YAML (or, with `json_only`, JSON) parsed, or InputError: invalid, or nested deeper than
    MAX_NESTING. The one place structured input is parsed: facts, machines, reviews, cases, thresholds."""
    import json

    import yaml

    too_deep = f"{name}: nested too deeply (more than {MAX_NESTING} levels of lists or mappings)"
    try:
        data = json.loads(text) if json_only else yaml.safe_load(text)
    except RecursionError:
        raise TooDeep(too_deep) from None
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: not valid YAML/JSON ({str(exc).splitlines()[0]})") from None
    except ValueError as exc:
        raise InputError(f"{name}: not valid JSON ({str(exc).splitlines()[0]})") from None
    if _nesting(data) > MAX_NESTING:
        raise TooDeep(too_deep)
    return data


def _nesting(data: object) -> int:
    """How deep lists and mappings nest, found without recursion; each container is visited once, so
    YAML aliases that repeat one list many times cost nothing."""
    deepest, stack, seen = 0, [(data, 1)], set()
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)) and id(node) not in seen:
            seen.add(id(node))
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest
