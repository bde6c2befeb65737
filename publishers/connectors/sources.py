"""What a source spec may say, how `${NAME}` placeholders are filled, and what a fetch returns."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.errors import DefinitionError

SOURCE_TYPES = ("file", "http", "sql", "upload")
TABLE_FORMATS = ("csv", "xlsx", "json")

# Options every type understands (how to read the fetched file), then each type's own.
READ_OPTIONS = {"type", "format", "encoding", "delimiter", "sheet", "records", "missing_values"}
TYPE_OPTIONS = {
    "file": {"path"},
    "http": {
        "url",
        "headers",
        "timeout",
        "total_timeout",
        "max_bytes",
        "retries",
        "backoff",
        "max_retry_after",
        "verify",
    },
    "sql": {"url", "query", "timeout"},
    "upload": set(),
}
REQUIRED_OPTIONS = {"file": ("path",), "http": ("url",), "sql": ("url", "query"), "upload": ()}

EXTENSION_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xlsb": "xlsx",
    ".xls": "xlsx",
    ".ods": "xlsx",
    ".json": "json",
}

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Fetched:
    """What fetching one source gave: a raw file saved under the run's workdir, or "unchanged"."""

    unchanged: bool
    path: Path | None
    sha256: str | None
    size: int
    state: dict = field(default_factory=dict)
    description: str = ""
    # Files combined into one (a glob): (file name, its first line in the combined file, the
    # line that is in the file itself), so a report can name the file and line a row came from.
    parts: tuple[tuple[str, int, int], ...] = ()


def check_source(source: Any) -> None:
    """Raise DefinitionError when a source spec has an unknown type, a missing or unknown option."""
    if not isinstance(source, Mapping):
        raise DefinitionError("a source must be a mapping with at least a `type`")
    kind = source.get("type")
    if kind not in SOURCE_TYPES:
        raise DefinitionError(f"unknown source type {kind!r}: use one of {', '.join(SOURCE_TYPES)}")
    allowed = READ_OPTIONS | TYPE_OPTIONS[kind]
    unknown = sorted(set(source) - allowed)
    if unknown:
        raise DefinitionError(
            f"a {kind} source does not understand {', '.join(unknown)}; "
            f"it accepts {', '.join(sorted(allowed))}"
        )
    for name in REQUIRED_OPTIONS[kind]:
        if not isinstance(source.get(name), str) or not source[name].strip():
            raise DefinitionError(f"a {kind} source needs `{name}`")
    fmt = source.get("format")
    if fmt is not None and fmt not in TABLE_FORMATS:
        raise DefinitionError(f"unknown format {fmt!r}: use one of {', '.join(TABLE_FORMATS)}")
    delimiter = source.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise DefinitionError(f"`delimiter` must be one character, not {delimiter!r}")
    headers = source.get("headers")
    if headers is not None and (
        not isinstance(headers, Mapping)
        or not all(isinstance(v, str | int) for v in headers.values())
    ):
        raise DefinitionError("`headers` must map header names to text values")


def substitute(text: str, variables: Mapping[str, str] | None, where: str) -> str:
    """Fill `${NAME}` placeholders from variables; secrets arrive this way, never from the repo."""
    values = variables or {}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise DefinitionError(
                f"the source's {where} uses ${{{name}}}, but no variable {name} is set"
            )
        return str(values[name])

    return _PLACEHOLDER.sub(fill, text)


def number_option(
    source: Mapping[str, Any], name: str, default: float, *, minimum: float = 0
) -> float:
    """A numeric option with its default, refusing text, booleans and values below minimum."""
    value = source.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise DefinitionError(f"`{name}` must be a number of at least {minimum}, not {value!r}")
    return value


def table_format(source: Mapping[str, Any], path: Path) -> str:
    """The declared format, else the one the file's extension names (SQL results are CSV)."""
    if source.get("format"):
        return source["format"]
    if source.get("type") == "sql":
        return "csv"
    fmt = EXTENSION_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DefinitionError(
            f"cannot tell the format of {path.name}: set the source's `format` to csv, xlsx or json"
        )
    return fmt


def safe_name(name: str, default: str) -> str:
    """A file name safe to create in the workdir, keeping the original's extension."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    return f"source-{cleaned or default}"


def save_chunks(chunks: Iterable[bytes], target: Path) -> tuple[str, int]:
    """Write chunks to target while hashing; returns (sha256 hex, size). Removes it on failure."""
    digest = hashlib.sha256()
    size = 0
    try:
        with target.open("wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def read_chunks(path: Path) -> Iterable[bytes]:
    """A file's bytes in bounded chunks."""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def copy_file(source: Path, target: Path) -> tuple[str, int]:
    """Copy a file into the workdir, hashing as it goes."""
    if source.resolve() == target.resolve():
        raise DefinitionError(f"{source} is already the workdir's copy; pass a different workdir")
    return save_chunks(read_chunks(source), target)
