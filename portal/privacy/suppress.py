"""Small-cell suppression with complementary cells, so no published total gives one away."""

from __future__ import annotations

from collections import defaultdict

import polars as pl


def suppress_small_cells(table: pl.DataFrame, spec: dict) -> tuple[pl.DataFrame, dict]:
    """Suppress counts below k, then complementary cells until no total gives one away.

    Within each `by` group the cells form a grid (`rows` x `columns`, or one line of
    `rows`) whose line totals are taken to be public. A line with exactly one
    suppressed cell would let anyone subtract it back out of the total, so the
    smallest other non-zero cell of that line is suppressed too, repeating until
    every line has none or at least two.
    """
    k = int(spec.get("k", 10))
    count, flag = spec["counts"][0], spec["flag"]
    blanked = list(dict.fromkeys(spec["counts"] + spec.get("also", [])))
    values = table[count].cast(pl.Int64, strict=False).to_list()
    groups = table.select(spec.get("by", [])).rows() if spec.get("by") else [()] * len(values)
    row_keys = table[spec["rows"]].to_list()
    col_keys = table[spec["columns"]].to_list() if spec.get("columns") else [None] * len(values)
    suppressed = {i for i, v in enumerate(values) if v is not None and 0 < v < k}
    primary = len(suppressed)
    lines: dict[tuple, list[int]] = defaultdict(list)
    for i in range(len(values)):
        if spec.get("columns"):
            lines[("row", groups[i], row_keys[i])].append(i)  # one row, across the columns
            lines[("column", groups[i], col_keys[i])].append(i)  # one column, down the rows
        else:
            lines[("group", groups[i])].append(i)
    changed = True
    while changed:
        changed = False
        for members in lines.values():
            hidden = [i for i in members if i in suppressed]
            if len(hidden) != 1:
                continue
            others = [i for i in members if i not in suppressed and values[i] is not None]
            if not others:
                continue  # a line of one cell has no separate total to subtract from
            # The smallest non-zero cell loses least; a zero only when nothing else is left.
            suppressed.add(min(others, key=lambda i: (values[i] == 0, values[i], i)))
            changed = True
    mask = pl.Series([i in suppressed for i in range(len(values))], dtype=pl.Boolean)
    table = table.with_columns(
        [pl.when(mask).then(None).otherwise(pl.col(f)).alias(f) for f in blanked]
        + [pl.when(mask).then(pl.lit("true")).otherwise(pl.lit("false")).alias(flag)]
    )
    return table, {"k": k, "primary": primary, "complementary": len(suppressed) - primary}
