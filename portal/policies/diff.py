"""What changed between two versions of a policy: sections added, removed and reworded, and
within a reworded paragraph, the words (difflib). Every piece of text is escaped here, so a
template can print the marked-up result as is."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from portal.languages import N_, gettext

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
TOKEN = re.compile(r"\s+|\w+(?:['’]\w+)*|[^\w\s]")


# "2 sections reworded, 1 added" in the reader's language
SECTIONS_CHANGED = {
    "added": (N_("%(num)s section added"), N_("%(num)s sections added")),
    "removed": (N_("%(num)s section removed"), N_("%(num)s sections removed")),
    "reworded": (N_("%(num)s section reworded"), N_("%(num)s sections reworded")),
}


@dataclass(frozen=True)
class Row:
    """One paragraph, or a group of paragraphs that changed together."""

    kind: str  # "same", "changed", "added", "removed"
    old: Markup  # the old text, removed words in <del>
    new: Markup  # the new text, added words in <ins>
    inline: Markup  # both in one text, for the inline view


@dataclass
class Section:
    heading: str
    kind: str  # "same", "reworded", "added", "removed"
    rows: list[Row] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.kind != "same"


@dataclass(frozen=True)
class PolicyDiff:
    sections: list[Section]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "reworded": 0}
        for section in self.sections:
            if section.kind in counts:
                counts[section.kind] += 1
        return counts

    @property
    def identical(self) -> bool:
        return not any(section.changed for section in self.sections)

    def sentence(self) -> str:
        """'2 sections reworded, 1 added' in words."""
        counts = self.counts
        parts = [
            gettext(SECTIONS_CHANGED[kind][0] if n == 1 else SECTIONS_CHANGED[kind][1], num=n)
            if kind in SECTIONS_CHANGED
            else f"{n} {kind}"
            for kind, n in counts.items()
            if n
        ]
        return ", ".join(parts) if parts else gettext("no change to the text")


def sections_of(text: str) -> list[tuple[str, list[str]]]:
    """(heading, paragraphs) in order; text before the first heading has the heading ''."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    paragraph: list[str] = []

    def close() -> None:
        if paragraph:
            sections[-1][1].append(" ".join(paragraph))
            paragraph.clear()

    for line in text.splitlines():
        heading = HEADING.match(line)
        if heading:
            close()
            sections.append((heading.group(2), []))
        elif not line.strip():
            close()
        else:
            paragraph.append(line.strip())
    close()
    if sections[0] == ("", []):
        sections.pop(0)
    return sections


def compare(old_text: str, new_text: str) -> PolicyDiff:
    old_sections, new_sections = sections_of(old_text), sections_of(new_text)
    old_keys = [_key(heading) for heading, _ in old_sections]
    new_keys = [_key(heading) for heading, _ in new_sections]
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    result = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for (_, old), (heading, new) in zip(
                old_sections[i1:i2], new_sections[j1:j2], strict=True
            ):
                rows = _paragraph_rows(old, new)
                kind = "same" if all(r.kind == "same" for r in rows) else "reworded"
                result.append(Section(heading, kind, rows))  # a renumbered one: its new name
            continue
        for heading, old in old_sections[i1:i2]:
            result.append(Section(heading, "removed", [_removed(p) for p in old]))
        for heading, new in new_sections[j1:j2]:
            result.append(Section(heading, "added", [_added(p) for p in new]))
    return PolicyDiff(result)


def _key(heading: str) -> str:
    # "3. De-escalation" and "4. De-escalation" are one section renumbered.
    return re.sub(r"^[\d.\s]+", "", heading).casefold()


def _paragraph_rows(old: list[str], new: list[str]) -> list[Row]:
    rows = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [Row("same", escape(p), escape(p), escape(p)) for p in new[j1:j2]]
        elif op == "delete":
            rows += [_removed(p) for p in old[i1:i2]]
        elif op == "insert":
            rows += [_added(p) for p in new[j1:j2]]
        else:
            rows.append(words(" ".join(old[i1:i2]), " ".join(new[j1:j2])))
    return rows


def _removed(paragraph: str) -> Row:
    marked = Markup("<del>%s</del>") % paragraph
    return Row("removed", marked, Markup(""), marked)


def _added(paragraph: str) -> Row:
    marked = Markup("<ins>%s</ins>") % paragraph
    return Row("added", Markup(""), marked, marked)


def words(old: str, new: str) -> Row:
    """A reworded paragraph with its removed words in <del> and its added ones in <ins>."""
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    ops = _merged(difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes(), a)
    left, right, inline = Markup(), Markup(), Markup()
    for op, i1, i2, j1, j2 in ops:
        removed, added = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            left += escape(removed)
            right += escape(added)
            inline += escape(added)
            continue
        if removed:
            left += Markup("<del>%s</del>") % removed
            inline += Markup("<del>%s</del>") % removed
        if added:
            right += Markup("<ins>%s</ins>") % added
            inline += Markup("<ins>%s</ins>") % added
    return Row("changed", left, right, inline)


def _merged(ops: list[tuple[str, int, int, int, int]], a: list[str]) -> list[tuple]:
    """Fold a run of only spaces between two changes into them: 'a b c' → 'x y z' reads as
    one change, not three words each struck through."""
    merged: list[list] = []
    for index, (op, i1, i2, j1, j2) in enumerate(ops):
        between = 0 < index < len(ops) - 1 and op == "equal"
        if between and all(not t.strip() for t in a[i1:i2]):
            op = "replace"
        if merged and op != "equal" and merged[-1][0] != "equal":
            merged[-1][2], merged[-1][4] = i2, j2
            merged[-1][0] = "replace"
        else:
            merged.append([op, i1, i2, j1, j2])
    return [tuple(m) for m in merged]
