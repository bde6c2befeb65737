"""The privacy report in sentences, each true for everything it claims (office page and CLI)."""

from __future__ import annotations

from portal.privacy.leaks import MAX_WORDS_LENGTH, MIN_SECRET_LENGTH

UNDETECTED = (
    "Names that are not in the declared name columns or roster are not detected: "
    "read the sample of scrubbed cells and the first rows before approving."
)


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _list(items: list[str]) -> str:
    return ", ".join(items) if items else "none"


def sentences(report: dict) -> dict[str, list[str]]:
    """Per table, the report's sentences in reading order."""
    privacy = report or {}
    # Tables whose source declares something to look for: never-publish columns or names.
    secret_tables = [
        name
        for name, entry in privacy.items()
        if (entry.get("neverPublish") or {}).get("columns")
        or (entry.get("names") or {}).get("columns")
    ]
    out: dict[str, list[str]] = {}
    for name, entry in privacy.items():
        lines: list[str] = []
        if entry.get("dropped"):
            lines.append(
                f"Source columns dropped (never published): {', '.join(entry['dropped'])}."
            )
        lines += _never_publish(entry, secret_tables, list(privacy))
        lines += _names(entry)
        for c in entry.get("coincidences", []):
            rows = ", ".join(str(r) for r in c["rows"])
            lines.append(
                f"Accepted coincidence, declared in privacy.coincidences: {c['field']} holds "
                f"values of {c['column']} in {_n(c['cells'], 'cell')} (rows {rows}). "
                "It is recorded in the audit log; check it is a coincidence before approving."
            )
        lines += _actions(entry)
        out[name] = lines or ["No privacy actions are declared for this table."]
    return out


def _never_publish(entry: dict, secret_tables: list[str], tables: list[str]) -> list[str]:
    lines = []
    formats = " and ".join(entry.get("formats") or ["CSV"])
    texts = entry.get("textFields") or []
    inside = (
        f"and looked for as whole words inside the text of {_list(texts)}"
        if texts
        else "(it has no free-text fields to search inside)"
    )
    if secret_tables:
        lines.append(
            f"Every cell of this table ({formats}) was compared, in canonical form "
            f"(10757 = 10757.0 = 010757; dates in any of their usual forms), with the "
            f"never-publish values and names of {_list(secret_tables)}, {inside}: none "
            "appears"
            + (", except the accepted coincidences below." if entry.get("coincidences") else ".")
        )
        if texts:
            # The limit of the text search, said where the claim is made.
            lines.append(
                "Inside text, a never-publish value of several words is found only with the "
                "same spaces and punctuation between its words as in the source (written "
                "across two lines or with a double space it is not); the words of declared "
                "name columns are looked for one by one."
            )
    np = entry.get("neverPublish")
    if np and np.get("columns"):
        lines.append(
            f"Never-publish columns of this table's source: {', '.join(np['columns'])} "
            f"({_n(np['distinct'], 'distinct value')})."
        )
        if np.get("short"):
            lines.append(
                f"{_n(np['short'], 'value')} shorter than {MIN_SECRET_LENGTH} characters "
                "(in canonical form) could not be looked for: they occur in published "
                "columns by chance and identify no one alone."
            )
        if np.get("long"):
            lines.append(
                f"{_n(np['long'], 'value')} longer than {MAX_WORDS_LENGTH} characters were "
                "compared with whole cells only, not looked for inside text."
            )
    elif np is not None:
        lines.append("No never-publish columns are declared for this table's source.")
    return lines


def _names(entry: dict) -> list[str]:
    names = entry.get("names")
    if names is None:
        return []
    if not names.get("columns"):
        return ["No name columns or roster are declared: names are not looked for. " + UNDETECTED]
    sources = ["the declared roster" if c == "roster" else c for c in names["columns"]]
    return [
        f"Names looked for: {_n(names['tokens'], 'given or family name')} from "
        f"{_list(sources)}, as whole words in any case (possessives included, never inside "
        "a longer word). " + UNDETECTED
    ]


def _actions(entry: dict) -> list[str]:
    lines = []
    for field, c in (entry.get("coarsened") or {}).items():
        lines.append(f"{field}: {_n(c['cells'], 'date')} coarsened to the {c['to']}.")
    for field, c in (entry.get("addresses") or {}).items():
        lines.append(
            f"{field}: {_n(c['block'], 'address', 'addresses')} reduced to the hundred block, "
            f"{c['alreadyBlock']:,} already a block, {_n(c['intersection'], 'intersection')}, "
            f"{c['streetOnly']:,} reduced to the street name alone and {c['blanked']:,} "
            "blanked (not readable as an address, or a PO box); no house number is published."
        )
    for field, c in (entry.get("binned") or {}).items():
        lines.append(f"{field}: {_n(c['cells'], 'value')} binned into {', '.join(c['labels'])}.")
    for field, counts in (entry.get("scrubbed") or {}).items():
        found = [f"{n:,} {kind}" for kind, n in counts.items() if kind != "cells"]
        lines.append(
            f"{field}: {_n(counts.get('cells', 0), 'cell')} scrubbed"
            + (f" ({', '.join(found)} replaced)." if found else "; nothing was found to replace.")
        )
    if entry.get("suppressed"):
        s = entry["suppressed"]
        lines.append(
            f"Small cells (counts from 1 to {s['k'] - 1}) suppressed: {s['primary']}, plus "
            f"{s['complementary']} complementary cells so they cannot be recovered from totals."
        )
    return lines


def samples(report: dict) -> dict[str, dict[str, list[str]]]:
    """Per table and scrubbed field, the first scrubbed cells (as they will be published)."""
    return {
        name: entry["scrubSample"]
        for name, entry in (report or {}).items()
        if entry.get("scrubSample")
    }
