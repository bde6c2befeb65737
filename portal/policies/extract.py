"""A policy document's text as Markdown: from Markdown, Word (python-docx) or PDF (pypdf).

Every refusal is a `DocumentRefused` whose message tells the officer what to do; nothing
else escapes, so an upload never ends in a server error.
"""

from __future__ import annotations

import html as entities
import io
import re
import zipfile
from dataclasses import dataclass

import yaml
from charset_normalizer import from_bytes

from portal.errors import PortalError
from portal.policies.models import DOCX, HTML, MARKDOWN, PDF

# The largest document the office accepts (the upload route refuses bigger bodies unread).
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
# A policy is at most a few hundred pages; more text than this is not a policy.
MAX_TEXT_CHARS = 2_000_000
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


class DocumentRefused(PortalError):
    """A document cannot become a policy version; the message says why and what to do."""


@dataclass(frozen=True)
class Extracted:
    text: str  # normalised Markdown
    media_type: str
    front_matter: dict


def media_type_of(filename: str, content: bytes) -> str:
    """What a document is, by its first bytes, else by its name."""
    name = filename.lower()
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"PK\x03\x04") and name.endswith(".docx"):
        return DOCX
    if name.endswith((".md", ".markdown", ".txt")):
        return MARKDOWN
    if name.endswith((".html", ".htm")):
        return HTML
    if name.endswith(".pdf"):
        return PDF  # named .pdf but not a PDF: refused as unreadable below
    if name.endswith(".docx"):
        return DOCX
    raise DocumentRefused(
        f"{filename or 'the file'}: not a Markdown (.md), Word (.docx) or PDF (.pdf) document"
    )


def extract(filename: str, content: bytes) -> Extracted:
    """The document's text, normalised; refuses empty, huge, encrypted or unreadable files."""
    label = filename or "the file"
    if len(content) > MAX_DOCUMENT_BYTES:
        raise DocumentRefused(
            f"{label} is {len(content):,} bytes; the limit is {MAX_DOCUMENT_BYTES:,} bytes"
        )
    if not content.strip():
        raise DocumentRefused(f"{label} is empty")
    media_type = media_type_of(filename, content)
    front: dict = {}
    if media_type == PDF:
        text = _pdf(label, content)
    elif media_type == DOCX:
        text = _docx(label, content)
    elif media_type == HTML:
        text = _html(label, content)
    else:
        front, text = split_front_matter(label, _decode(label, content))
    text = normalise(text)
    if not re.search(r"\w", text):
        raise DocumentRefused(
            f"{label} has no text"
            + (
                " (a scanned PDF holds only images: upload the text version)"
                if media_type == PDF
                else ""
            )
        )
    if len(text) > MAX_TEXT_CHARS:
        raise DocumentRefused(f"{label} holds more than {MAX_TEXT_CHARS:,} characters of text")
    return Extracted(text, media_type, front)


def normalise(text: str) -> str:
    """One spelling of the same text: LF line endings, no trailing spaces, one final newline,
    at most one blank line in a row (so the SHA-256 names the words, not the whitespace)."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    joined = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return joined + "\n" if joined else ""


def split_front_matter(label: str, text: str) -> tuple[dict, str]:
    """YAML front matter between `---` lines, and the Markdown after it."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        front = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        raise DocumentRefused(f"{label}: its front matter is not YAML ({error})") from None
    if not isinstance(front, dict):
        raise DocumentRefused(f"{label}: its front matter must be `key: value` lines")
    return front, text[match.end() :]


def _decode(label: str, content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = from_bytes(content).best()
        if best is None:
            raise DocumentRefused(f"{label} is not text in a known encoding") from None
        return str(best)


def _pdf(label: str, content: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise DocumentRefused(
                f"{label} is an encrypted PDF; the public must be able to open it: "
                "upload a copy without a password or restrictions"
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentRefused:
        raise
    # pypdf raises its own errors for most damage and plain ones for the rest.
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError,
            zipfile.BadZipFile, OSError) as error:  # fmt: skip
        raise DocumentRefused(
            f"{label} is not a readable PDF ({error.__class__.__name__}): "
            "export it again from the word processor"
        ) from None
    paragraphs = []
    for page in pages:
        # A PDF knows lines, not paragraphs: a blank line or a line ending a sentence ends one.
        current: list[str] = []
        for line in page.splitlines():
            line = line.strip()
            if not line:
                if current:
                    paragraphs.append(" ".join(current))
                    current = []
                continue
            current.append(line)
            if re.search(r"[.:;!?]$", line) or _looks_like_heading(line):
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
    return "\n\n".join(_heading(p) for p in paragraphs)


def _looks_like_heading(line: str) -> bool:
    return bool(re.fullmatch(r"(\d+(\.\d+)*\.?\s+)?[A-Z][^.:;!?]{0,80}", line)) and len(line) < 80


def _heading(paragraph: str) -> str:
    # A short numbered line ("3. De-escalation") reads as a section heading.
    if re.fullmatch(r"\d+(\.\d+)*\.?\s+[A-Z][^.:;!?]{0,80}", paragraph):
        return f"## {paragraph}"
    return paragraph


def _docx(label: str, content: bytes) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(content))
        blocks = []
        for paragraph in document.paragraphs:
            text = paragraph.text.strip()
            if not text:
                continue
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            level = re.fullmatch(r"Heading (\d)", style)
            if style == "Title":
                blocks.append(f"# {text}")
            elif level:
                blocks.append(f"{'#' * min(int(level.group(1)) + 1, 6)} {text}")
            elif style.startswith("List"):
                blocks.append(f"- {text}")
            else:
                blocks.append(text)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise DocumentRefused(
            f"{label} is not a readable Word document ({error.__class__.__name__}): "
            "save it again as .docx"
        ) from None
    return "\n\n".join(blocks)


def _html(label: str, content: bytes) -> str:
    """A policy page on the department's site: its text, paragraphs and headings kept."""
    import nh3

    html = _decode(label, content)
    html = re.sub(r"(?is)<(script|style|nav|header|footer)\b.*?</\1>", "", html)
    html = re.sub(r"(?i)<h([1-6])[^>]*>", lambda m: "\n\n" + "#" * max(2, int(m[1])) + " ", html)
    html = re.sub(r"(?i)<li[^>]*>", "\n\n- ", html)
    html = re.sub(r"(?i)</?(p|div|br|h[1-6]|ul|ol|section|article)[^>]*>", "\n\n", html)
    text = nh3.clean(html, tags=set())
    text = entities.unescape(text)
    return "\n\n".join(
        re.sub(r"[ \t]+", " ", block).strip() for block in re.split(r"\n\s*\n", text)
    )


ACCEPTED = (MARKDOWN, DOCX, PDF, HTML)
