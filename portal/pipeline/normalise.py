"""Turn a source table (all text, the source system's column names) into a table in schema shape.

The mapping comes from the publisher entry's `columns`. Values that a mapping
cannot interpret pass through unchanged, so validation reports them instead of
the normaliser hiding them — except where passing them on would leak what must
stay private (an unreadable date of birth becomes an `unknown` age band).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from portal.errors import DefinitionError

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d")
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
)
AGE_BANDS = (
    (18, "under-18"),
    (25, "18-24"),
    (35, "25-34"),
    (45, "35-44"),
    (55, "45-54"),
    (65, "55-64"),
    (111, "65-plus"),
)
AGE_LABELS = {
    age: next(label for upper, label in AGE_BANDS if age < upper) for age in range(10, 111)
}
# A spreadsheet runs a text cell starting with one of these as a formula (CSV injection):
# ASCII, full-width and small forms of = + - @, a pipe (DDE), tab and carriage return.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
FORMULA_PREFIXES += ("\ufe66", "\ufe62", "\ufe63", "|")
# The CSV's escape: one leading apostrophe, which spreadsheets show as "this is text". Text
# already starting with one gets another, so reading a cell back is always exact
# (`restore_formulas`: JSON, Parquet and the query index hold the value itself).
ESCAPE = "'"


def parse_date(column: pl.Expr) -> pl.Expr:
    """A Date parsed from the usual export formats, null where none fits."""
    text = column.str.strip_chars()
    attempts = [text.str.strptime(pl.Date, fmt, strict=False, exact=True) for fmt in DATE_FORMATS]
    attempts += [
        text.str.strptime(pl.Datetime, fmt, strict=False, exact=True).dt.date()
        for fmt in DATETIME_FORMATS
    ]
    return pl.coalesce(attempts)


def _date(column: pl.Expr, fmt: str) -> pl.Expr:
    return pl.coalesce(parse_date(column).dt.to_string(fmt), column)


def _month(column: pl.Expr) -> pl.Expr:
    already = pl.when(column.str.contains(r"^\d{4}-\d{2}$")).then(column)
    return pl.coalesce(already, parse_date(column).dt.to_string("%Y-%m"), column)


def _age_band(column: pl.Expr, at: pl.Expr | None) -> pl.Expr:
    if at is None:  # the source has ages already
        age = column.str.strip_chars().cast(pl.Int64, strict=False)
    else:
        born, on = parse_date(column), parse_date(at)
        before_birthday = (on.dt.month() < born.dt.month()) | (
            (on.dt.month() == born.dt.month()) & (on.dt.day() < born.dt.day())
        )
        age = on.dt.year() - born.dt.year() - before_birthday.cast(pl.Int32)
    # Stanford Open Policing rule: ages outside 10-110 are recording errors.
    return age.replace_strict(AGE_LABELS, default="unknown", return_dtype=pl.String)


def _list(column: pl.Expr, spec: dict) -> pl.Expr:
    values: dict[str, str] = {str(k): str(v) for k, v in (spec.get("values") or {}).items()}
    order = {label: rank for rank, label in enumerate(dict.fromkeys(values.values()))}
    items = (
        column.str.split(spec.get("separator", ";"))
        .list.eval(pl.element().str.strip_chars().replace(values))
        .list.unique(maintain_order=True)
        .list.filter(pl.element() != "")
    )
    # Sorted by the order the mapping names them (most serious first), unknown codes last.
    ranked = items.list.eval(
        pl.element().sort_by(
            pl.element().replace_strict(order, default=len(order), return_dtype=pl.Int32)
        )
    )
    if spec.get("take") == "first":
        return ranked.list.first()
    return ranked.list.join(spec.get("join", ";"))


def _number(column: pl.Expr) -> pl.Expr:
    cleaned = column.str.replace_all(r"[\s$,]", "")
    return cleaned.str.replace(r"^(-?\d+)\.0+$", "$1")


FUNCTIONS = {"date", "month", "year", "age_band", "list", "number", "integer", "lower", "trim"}


def column_expression(target: str, spec: Any) -> pl.Expr:
    """The polars expression computing schema field `target` from a source row."""
    if isinstance(spec, str):
        spec = {"from": spec}
    if not isinstance(spec, dict):
        raise DefinitionError(f"column {target}: expected a source column name or a mapping")
    if "value" in spec:
        return pl.lit(str(spec["value"]), dtype=pl.String).alias(target)
    if "from" not in spec:
        raise DefinitionError(f"column {target}: needs `from` (a source column) or `value`")
    column = pl.col(str(spec["from"])).str.strip_chars()
    function = spec.get("function")
    if function and function not in FUNCTIONS:
        raise DefinitionError(f"column {target}: unknown function {function!r}")
    if function != "list" and spec.get("values"):
        values = {str(k): str(v) for k, v in spec["values"].items()}
        column = column.replace(values)
    if function == "date":
        column = _date(column, "%Y-%m-%d")
    elif function == "month":
        column = _month(column)
    elif function == "year":
        column = pl.coalesce(parse_date(column).dt.to_string("%Y"), column)
    elif function == "age_band":
        at = pl.col(str(spec["at"])).str.strip_chars() if spec.get("at") else None
        column = _age_band(column, at)
    elif function == "list":
        column = _list(column, spec)
    elif function in ("number", "integer"):
        column = _number(column)
    elif function == "lower":
        column = column.str.to_lowercase()
    return column.alias(target)


def neutralise_formulas(column: pl.Expr) -> pl.Expr:
    """Prefix text a spreadsheet would execute with an apostrophe (OWASP CSV injection), in
    the CSV cell only; `restore_formulas` gives the value back."""
    risky = column.str.starts_with(ESCAPE)
    for prefix in FORMULA_PREFIXES:
        risky = risky | column.str.starts_with(prefix)
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


def normalise(source: pl.LazyFrame, columns: dict[str, Any], schema: dict) -> pl.LazyFrame:
    """Map a source table onto the schema's fields, in schema order, all as text."""
    available = set(source.collect_schema().names())
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
    expressions = []
    for field in schema["fields"]:
        expression = column_expression(field["name"], columns[field["name"]])
        if field.get("type", "string") == "string":
            expression = neutralise_formulas(expression)
        expressions.append(expression.alias(field["name"]))
    frame = source.select(expressions)
    # Empty text is a missing value, written as an empty cell.
    return frame.with_columns(pl.all().replace("", None))


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
