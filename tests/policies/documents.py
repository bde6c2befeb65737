"""Real policy documents made in the tests: a PDF written with pypdf, a Word file with
python-docx, and their broken and encrypted variants."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject


def _escape(line: str) -> bytes:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def pdf(lines: list[str], password: str | None = None) -> bytes:
    """A one-page PDF whose text layer holds the lines (blank strings make blank lines)."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    body = b"BT /F1 11 Tf 72 740 Td 16 TL " + b" ".join(
        b"(" + _escape(line) + b") Tj T*" for line in lines
    )
    stream = StreamObject()
    stream.set_data(body + b" ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    if password is not None:
        writer.encrypt(user_password=password, owner_password=password + "-owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx(blocks: list[tuple[str, str]]) -> bytes:
    """A Word document: (style, text) pairs, style "Heading 1", "List Bullet" or ""."""
    import docx as python_docx

    document = python_docx.Document()
    for style, text in blocks:
        if style.startswith("Heading"):
            document.add_heading(text, level=int(style.split()[-1]))
        else:
            document.add_paragraph(text, style=style or None)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
