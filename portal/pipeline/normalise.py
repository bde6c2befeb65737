"""Turn a source table (all text, the source system's column names) into a table in schema shape.

The mapping comes from the publisher entry's `columns`. A value is either mapped to the same
meaning (functions in `functions.py`) or its cell fails: the failure is kept beside the row,
with the source value and line, for the run's report. Codes a `values` map does not know and
copied text pass through unchanged, so validation reports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

import polars as pl

from portal.datasets.definition_schema import FUNCTIONS
from portal.errors import DefinitionError
from portal.pipeline.functions import CellError, age_band_converter, converter, in_range
from portal.pipeline.functions import pad as pad_digits
from publishers.connectors import SOURCE_LINE

# A spreadsheet runs a text cell starting with one of these as a formula (CSV injection):
# ASCII, full-width and small forms of = + - @, a pipe (DDE), tab and carriage return.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
FORMULA_PREFIXES += ("\ufe66", "\ufe62", "\ufe63", "|")
# The CSV's escape: one leading apostrophe, which spreadsheets show as "this is text". Text
# already starting with one gets another, so reading a cell back is always exact
# (`restore_formulas`: JSON, Parquet and the query index hold the value itself).
ESCAPE = "'"
# Columns beside the schema fields in the normalised frame (never published): a failed cell's
# reason per field, and the source cells as read, for the report.
ERROR = "\u2063error:"
RAW = "\u2063source:"
BLANKED = "\u2063blanked:"
_KEY_SEPARATOR = "\x1f"


def as_spec(target: str, spec: Any) -> dict:
    if isinstance(spec, str):
        return {"from": spec}
    if not isinstance(spec, dict):
        raise DefinitionError(f"column {target}: expected a source column name or a mapping")
    if "value" not in spec and "from" not in spec:
        raise DefinitionError(f"column {target}: needs `from` (a source column) or `value`")
    function = spec.get("function")
    if function and function not in FUNCTIONS:
        raise DefinitionError(f"column {target}: unknown function {function!r}")
    return spec


def _code_map(spec: dict) -> dict[str, str]:
    return {str(k): str(v) for k, v in (spec.get("values") or {}).items()}


def column_expression(target: str, spec: Any) -> pl.Expr:
    """A mapping polars computes alone (copy, codes, constant, lower, and month or year of an
    ISO date): what an aggregate's `group_by` uses over a normalised table."""
    spec = as_spec(target, spec)
    if "value" in spec:
        return pl.lit(str(spec["value"]), dtype=pl.String).alias(target)
    column = pl.col(str(spec["from"])).str.strip_chars()
    if spec.get("function") != "list" and spec.get("values"):
        column = column.replace(_code_map(spec))
    function = spec.get("function")
    if function == "month":
        column = column.str.slice(0, 7)
    elif function == "year":
        column = column.str.slice(0, 4)
    elif function == "lower":
        column = column.str.to_lowercase()
    elif function not in (None, "trim"):
        raise DefinitionError(f"column {target}: function {function!r} is not available here")
    return column.alias(target)


def neutralise_formulas(column: pl.Expr) -> pl.Expr:
    """Prefix text a spreadsheet would execute with an apostrophe (OWASP CSV injection), in
    the CSV cell only; `restore_formulas` gives the value back."""
    # Every prefix is one character: one look at the first character, not one per prefix.
    risky = column.str.slice(0, 1).is_in([ESCAPE, *FORMULA_PREFIXES])
    return pl.when(risky).then(pl.lit(ESCAPE) + column).otherwise(column)


def restore_formulas(column: pl.Expr) -> pl.Expr:
    """The value of a published CSV text cell: without the apostrophe the CSV added."""
    return pl.when(column.str.starts_with(ESCAPE)).then(column.str.slice(1)).otherwise(column)


def _source_columns(columns: dict[str, Any]) -> list[str]:
    """The source columns a `columns` mapping reads, in mapping order."""
    names = []
    for spec in columns.values():
        if isinstance(spec, str):
            names.append(spec)
        elif isinstance(spec, dict):
            names += [str(spec[key]) for key in ("from", "at") if spec.get(key)]
    return names


@dataclass
class Normalised:
    """The normalised frame (schema fields, then SOURCE_LINE, ERROR… and RAW… columns)."""

    frame: pl.LazyFrame
    fields: list[str]
    ignored_columns: list[str] = default(default_factory=list)
    blanked: list[str] = default(default_factory=list)  # fields that may have BLANKED cells


class OutOfRange(CellError):
    """A value outside the column's declared `range`: blanked and counted, never a failure."""


@dataclass
class _Plan:
    """How one field is computed: a polars key, and a Python function over its distinct values."""

    key: pl.Expr
    convert: Callable[[str], str] | None = None


def _plan(target: str, spec: dict) -> _Plan:
    column = pl.col(str(spec["from"]))
    function = spec.get("function")
    codes = _code_map(spec) if function != "list" else {}
    if codes:
        column = column.replace(codes)
    if function == "lower":
        column = column.str.to_lowercase()
    steps: list[Callable[[str], str]] = []
    if function == "age_band":
        band = age_band_converter(spec)
        if spec.get("at"):
            column = pl.concat_str(
                [column, pl.col(str(spec["at"])).fill_null("\x00")], separator=_KEY_SEPARATOR
            )

            def from_pair(key: str) -> str:
                value, at = key.split(_KEY_SEPARATOR, 1)
                return band(value, None if at == "\x00" else at)

            steps.append(from_pair)
        else:
            steps.append(lambda value: band(value, None))
    else:
        convert = converter(spec)
        if convert is not None:
            steps.append(convert)
    width = spec.get("pad")
    if width:
        options = width if isinstance(width, dict) else {"width": width}
        steps.append(lambda v: pad_digits(v, int(options["width"]), str(options.get("char", "0"))))
    bounds = spec.get("range")
    if bounds:

        def check_range(value: str) -> str:
            if not in_range(value, bounds.get("min"), bounds.get("max")):
                raise OutOfRange(
                    f"{value} is outside the declared range "
                    f"{bounds.get('min', '…')} to {bounds.get('max', '…')}"
                )
            return value

        steps.append(check_range)
    if not steps:
        return _Plan(column)

    def run(value: str) -> str:
        for step in steps:
            value = step(value)
        return value

    return _Plan(column, run)


def _lookup(key: pl.Expr, mapping: Mapping[str, str]) -> pl.Expr:
    if not mapping:
        return pl.lit(None, dtype=pl.String)
    return key.replace_strict(mapping, default=None, return_dtype=pl.String)


def _check_columns(available: set[str], columns: dict[str, Any]) -> None:
    wanted = list(dict.fromkeys(_source_columns(columns)))
    if len(wanted) > 1 and available.isdisjoint(wanted):
        # Not one column renamed: a different file, or an export without its header row.
        shown = ", ".join(wanted[:4]) + (f" … {len(wanted)} in all" if len(wanted) > 4 else "")
        raise DefinitionError(
            f"the source has none of the columns the publisher entry reads ({shown}): is it "
            "the right export, and does its first row hold the column names? "
            f"Its columns are: {', '.join(sorted(available))}"
        )
    for target, spec in columns.items():
        needed = [spec] if isinstance(spec, str) else [spec.get(k) for k in ("from", "at")]
        missing = [name for name in needed if name and name not in available]
        if missing:
            raise DefinitionError(
                f"the source has no column {missing[0]!r} (needed for {target}); "
                f"its columns are: {', '.join(sorted(available))}"
            )


def normalise(
    source: pl.LazyFrame,
    columns: dict[str, Any],
    schema: dict,
    *,
    missing_values: Iterable[str] = (),
    targets: list[str] | None = None,
) -> Normalised:
    """Map a source table onto the schema's fields (or `targets`), in order, all as text.

    Every cell is trimmed; a cell equal to a declared missing-value marker is empty. Distinct
    values go through the mapping function once each.
    """
    names = source.collect_schema().names()
    available = [n for n in names if n != SOURCE_LINE]
    _check_columns(set(available), columns)
    wanted = set(_source_columns(columns))
    ignored = [name for name in available if name not in wanted]
    markers = [str(m) for m in missing_values]
    raw = [pl.col(name).alias(RAW + name) for name in available if name in wanted]
    cleaned = pl.col(available).str.strip_chars()
    if markers:
        cleaned = pl.when(cleaned.is_in(markers)).then(None).otherwise(cleaned).name.keep()
    frame = source.with_columns(raw).with_columns(cleaned)
    frame = frame.with_columns(pl.col(available).replace("", None))
    types = {f["name"]: f.get("type", "string") for f in schema["fields"]}
    targets = targets or list(types)
    specs = {target: as_spec(target, columns[target]) for target in targets}
    plans = {t: _plan(t, s) for t, s in specs.items() if "value" not in s}
    python = {t: p for t, p in plans.items() if p.convert is not None}
    distinct = {}
    if python:
        found = frame.select(
            [p.key.unique().drop_nulls().implode().alias(t) for t, p in python.items()]
        ).collect()
        distinct = {t: found[t][0].to_list() for t in python}
    outputs, errors = [], []
    blanked = []
    for target in targets:
        spec = specs[target]
        if "value" in spec:
            outputs.append(pl.lit(str(spec["value"]), dtype=pl.String).alias(target))
            continue
        plan = plans[target]
        value = plan.key
        if plan.convert is not None:
            good, bad, blank = {}, {}, {}
            lenient = spec.get("on_error") == "blank"
            for item in distinct[target]:
                try:
                    good[item] = plan.convert(item)
                except OutOfRange as error:
                    blank[item] = str(error)
                except CellError as error:
                    (blank if lenient else bad)[item] = str(error)
            value = _lookup(plan.key, good)
            errors.append(_lookup(plan.key, bad).alias(ERROR + target))
            if lenient or spec.get("range"):
                errors.append(_lookup(plan.key, blank).alias(BLANKED + target))
                blanked.append(target)
        if spec.get("default") is not None:
            value = (
                pl.when(pl.col(str(spec["from"])).is_null())
                .then(pl.lit(str(spec["default"])))
                .otherwise(value)
            )
        if types.get(target, "string") == "string":
            value = neutralise_formulas(value)
        outputs.append(value.alias(target))
    extra = [pl.col(SOURCE_LINE)] if SOURCE_LINE in names else []
    extra += [pl.col(RAW + name) for name in available if name in wanted]
    frame = frame.select([*outputs, *errors, *extra])
    # Empty text is a missing value, written as an empty cell.
    frame = frame.with_columns(pl.col(targets).replace("", None))
    return Normalised(frame, targets, ignored, blanked)


def aggregate(table: pl.LazyFrame, spec: dict, schema: dict) -> pl.LazyFrame:
    """Derive an aggregate table (counts, sums) from another resource's normalised table."""
    frame = table
    explode = spec.get("explode")
    if explode:
        name = explode["column"]
        frame = frame.with_columns(pl.col(name).str.split(explode.get("separator", ";")))
        frame = frame.explode(name)
    keys = [column_expression(target, key) for target, key in (spec.get("group_by") or {}).items()]
    measures = []
    for target, measure in (spec.get("measures") or {}).items():
        if measure.get("count") == "rows":
            measures.append(pl.len().alias(target))
        elif "count_distinct" in measure:
            measures.append(pl.col(measure["count_distinct"]).n_unique().alias(target))
        elif "sum" in measure:
            measures.append(
                pl.col(measure["sum"]).cast(pl.Float64, strict=False).sum().alias(target)
            )
        else:
            raise DefinitionError(f"measure {target}: use count: rows, count_distinct or sum")
    if not keys or not measures:
        raise DefinitionError("an aggregate needs group_by and measures")
    grouped = frame.group_by(keys).agg(measures).sort([k.meta.output_name() for k in keys])
    outputs = []
    for field in schema["fields"]:
        column = pl.col(field["name"])
        if field.get("type") == "integer":  # sums are computed as floats
            column = column.cast(pl.Int64, strict=False)
        outputs.append(column.cast(pl.String))
    return grouped.select(outputs)
