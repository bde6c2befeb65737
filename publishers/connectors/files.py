"""File connectors: a path or glob under the data folder, and a file a records officer uploaded."""

from __future__ import annotations

import glob
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from portal.errors import DefinitionError, SourceUnavailable, SourceUnreadable
from publishers.connectors.sources import (
    EXTENSION_FORMATS,
    Fetched,
    copy_file,
    safe_name,
    save_chunks,
    substitute,
)

_CHUNK = 1024 * 1024
_BOM = b"\xef\xbb\xbf"


def fetch_file(
    source: Mapping[str, Any],
    workdir: Path,
    base_dir: Path,
    variables: Mapping[str, str] | None,
) -> Fetched:
    """Copy the file (or every file a glob matches, concatenated in name order) into workdir."""
    pattern = substitute(source["path"], variables, "path")
    full = Path(pattern).expanduser()
    if not full.is_absolute():
        full = base_dir / full
    if glob.has_magic(pattern):
        matches = sorted(
            (Path(p) for p in glob.glob(str(full), recursive=True) if Path(p).is_file()),
            key=str,
        )
        if not matches:
            raise SourceUnavailable(f"no file matches {pattern} (looked under {base_dir})")
    elif full.is_file():
        matches = [full]
    else:
        raise SourceUnavailable(f"file not found: {pattern} (looked for {full})")

    if len(matches) == 1:
        target = workdir / safe_name(matches[0].name, "file")
        sha256, size = copy_file(matches[0], target)
        return Fetched(False, target, sha256, size, {}, f"file {source['path']}")

    fmt = source.get("format") or EXTENSION_FORMATS.get(matches[0].suffix.lower())
    if fmt != "csv":
        raise DefinitionError(
            f"{pattern} matched {len(matches)} files; only CSV files can be combined, "
            "so point `path` at a single workbook or JSON file"
        )
    target = workdir / safe_name("combined" + matches[0].suffix, "combined.csv")
    line_counts: list[int] = []
    sha256, size = save_chunks(_concatenated(matches, line_counts), target)
    names = ", ".join(m.name for m in matches)
    parts, first = [], 1
    for number, (match, count) in enumerate(zip(matches, line_counts, strict=True)):
        # The first file keeps its header; each further file's lines start after its own.
        parts.append((match.name, first, 1 if number == 0 else 2))
        first += count
    return Fetched(
        False,
        target,
        sha256,
        size,
        {},
        f"files {source['path']} ({len(matches)}: {names})",
        tuple(parts),
    )


def fetch_upload(source: Mapping[str, Any], workdir: Path, upload: Path | None) -> Fetched:
    """Copy the records officer's uploaded file into workdir."""
    if upload is None:
        raise SourceUnavailable(
            "no file uploaded for this source: a records officer uploads it in the records "
            "office, or pass it with `portal run DATASET --file RESOURCE=PATH`"
        )
    if not upload.is_file():
        raise SourceUnavailable(f"the uploaded file {upload} does not exist")
    target = workdir / safe_name(upload.name, "upload")
    sha256, size = copy_file(upload, target)
    return Fetched(False, target, sha256, size, {}, f"upload {upload.name}")


class _LineCounter:
    """Counts physical lines (\\n, \\r\\n or \\r) in chunks, as the CSV reader numbers them."""

    def __init__(self) -> None:
        self.breaks = 0
        self.pending_cr = False

    def add(self, chunk: bytes) -> bytes:
        if not chunk:
            return chunk
        breaks = chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")
        if self.pending_cr and chunk.startswith(b"\n"):
            breaks -= 1  # the \r\n was split between two chunks
        self.breaks += breaks
        self.pending_cr = chunk.endswith(b"\r")
        return chunk


def _concatenated(paths: list[Path], line_counts: list[int] | None = None) -> Iterator[bytes]:
    """The first file whole, then each further file without its header (which must match).

    `line_counts` receives the number of lines each file adds to the combined file.
    """
    first_header: bytes | None = None
    for path in paths:
        counter = _LineCounter()
        with path.open("rb") as handle:
            header, eol, rest = _split_header(handle, path)
            if first_header is None:
                first_header = header
                yield counter.add(header + eol + rest)
            elif header.removeprefix(_BOM) != first_header.removeprefix(_BOM):
                raise SourceUnreadable(
                    f"{path.name} does not have the same header as {paths[0].name}, so they "
                    f"cannot be combined: {_show(header)} instead of {_show(first_header)}"
                )
            else:
                yield counter.add(rest)
            last = rest[-1:] if rest else eol[-1:]
            while chunk := handle.read(_CHUNK):
                last = chunk[-1:]
                yield counter.add(chunk)
        if last not in (b"\n", b"\r"):
            yield counter.add(b"\n")
        if line_counts is not None:
            line_counts.append(counter.breaks)


def _split_header(handle: Any, path: Path) -> tuple[bytes, bytes, bytes]:
    """Split the first chunk into (header line, its line ending, the rest of the chunk)."""
    chunk = handle.read(_CHUNK)
    ends = [i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0]
    if not ends:
        if len(chunk) == _CHUNK:
            raise SourceUnreadable(f"{path.name}: the first line is longer than 1 MB")
        return chunk, b"", b""
    cut = min(ends)
    if chunk[cut : cut + 1] == b"\r" and cut + 1 == len(chunk):
        chunk += handle.read(1)
    eol_len = 2 if chunk[cut : cut + 2] == b"\r\n" else 1
    return chunk[:cut], chunk[cut : cut + eol_len], chunk[cut + eol_len :]


def _show(header: bytes) -> str:
    text = header.removeprefix(_BOM).decode("utf-8", errors="replace")
    return repr(text if len(text) <= 200 else text[:200] + "…")
