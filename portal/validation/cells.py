"""Cell checks of one field over a batch: types and constraints as frictionless reads them.

Cells a vectorised polars test proves ordinary are checked in polars; every other cell
(the suspects: odd spellings, probable errors, types without a fast test) goes through
frictionless' own cell reader, so its verdict is frictionless' verdict by construction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:  # frictionless' Field, or the same questions answered by light.LightField
    from frictionless import Field

# Orders findings inside a row as frictionless emits them: field by field, then
# extra cells, missing cells, unique, primary key and foreign keys.
FIELD_SLOT = 16
EXTRA_CELL, MISSING_CELL, UNIQUE, PRIMARY_KEY, FOREIGN_KEY = (
    1 << 20,
    2 << 20,
    3 << 20,
    4 << 20,
    5 << 20,
)
MAX_FAST_INTEGER = 2**62
# Up to this many values, `one_of` compares rather than hashes.
FEW_VALUES = 8
FINDING_SCHEMA = {
    "_row": pl.Int64,
    "_order": pl.Int64,
    "type": pl.String,
    "fieldNumber": pl.Int64,
    "fieldName": pl.String,
    "cell": pl.String,
    "note": pl.String,
}


class SlowPath(Exception):
    """This field (or one of its constraints) has no vectorised test: read every cell in Python."""


def canonical_key(value: Any) -> str | None:
    """A string equal for two typed cells exactly when Python finds them equal (dict keys)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "n:1" if value else "n:0"
    if isinstance(value, int):
        return f"n:{value}"
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return f"n:{int(value)}"
        return f"n:{value.normalize()}"
    if isinstance(value, dt.datetime):
        return f"t:{value.isoformat()}"
    if isinstance(value, dt.date):
        return f"d:{value.isoformat()}"
    if isinstance(value, str):
        return f"s:{value}"
    return f"o:{value!r}"


def finding_frame(
    rows: pl.Series,
    order: int,
    kind: str,
    *,
    number: int | None = None,
    name: str | None = None,
    cells: pl.Series | str | None = None,
    note: str = "",
) -> pl.DataFrame:
    """One finding of `kind` for each of the rows, in the shared finding shape.

    Built from columns, not by a query: a batch of flagged rows makes dozens of these, and
    a polars query costs more than their few rows. The 198 flagged rows of the 200,000-row
    benchmark are checked in 14-17 ms, against 23 ms with a query for each.
    """

    def repeated(column: str, value: Any) -> pl.Series:
        return pl.Series(column, [value], dtype=FINDING_SCHEMA[column]).new_from_index(0, len(rows))

    return pl.DataFrame(
        [
            rows.cast(pl.Int64).alias("_row"),
            repeated("_order", order),
            repeated("type", kind),
            repeated("fieldNumber", number),
            repeated("fieldName", name),
            cells.alias("cell") if isinstance(cells, pl.Series) else repeated("cell", cells),
            repeated("note", note),
        ]
    )


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDING_SCHEMA)


@dataclass
class FieldResult:
    findings: list[pl.DataFrame]
    key: pl.Series | None


class FieldCheck:
    """Checks one expected field (schema field or frictionless' stand-in for an extra label)."""

    def __init__(self, field: Field, number: int, *, keyed: bool) -> None:
        self.field = field
        self.number = number
        self.name = field.name
        self.keyed = keyed
        self.constraints: dict = dict(field.constraints)
        missing_values = field.missing_values
        if not field.has_defined("missing_values") and field.schema:
            missing_values = field.schema.missing_values
        self.missing_values = [str(v) for v in missing_values]
        self.raw = pl.col(f"c{number - 1}")
        self.type_note = f'type is "{field.type}/{field.format}"'
        # key_part: the tag and payload of the canonical key of a plain cell (keys.py).
        self.key_part: tuple[str, pl.Expr] | None = None
        self.key: pl.Expr | None = None
        try:
            self.ok, self.value, self.key_part, self.checks, self.line_suspect = self.plan()
            self.fast = True
        except SlowPath:
            self.fast = False
            self.line_suspect = pl.lit(True)
        # Cells with a newline (only multi-line records have them) are always rechecked in
        # Python when a pattern applies: see `pattern_suspects`.
        pattern = self.constraints.get("pattern")
        if "pattern" not in field.supported_constraints:
            pattern = None
        self.suspect = self.line_suspect
        if self.fast and pattern is not None:
            self.suspect = self.line_suspect | self.raw.str.contains("\n", literal=True)
        # Whether a cell can need frictionless' reader (strings without a pattern never do).
        self.can_be_suspect = not (
            self.fast and field.type in ("string", "any") and pattern is None
        )
        if self.key_part is not None:
            tag, payload = self.key_part
            self.key = pl.lit(f"{tag}:") + payload
        self.flag_exprs = self.flags()
        # The flags of a field the screening pass found nothing to report on.
        self.quiet_flag_exprs = {
            name: expr
            for name, expr in self.flag_exprs.items()
            if name.endswith((":missing", ":key"))
        }

    @cached_property
    def reader(self) -> Any:
        """frictionless' cell reader: built when a suspect cell first needs it."""
        return self.field.create_cell_reader()

    # Planning: what polars can decide alone

    def plan(self) -> tuple[pl.Expr, pl.Expr, tuple[str, pl.Expr] | None, list, pl.Expr]:
        field, raw = self.field, self.raw
        reader = field.create_value_reader()
        kind = field.type if field.format in ("default", None) else "slow"
        if kind == "integer" and field.has_defined("bare_number"):
            kind = "slow"
        if kind == "number" and (
            set(field.list_defined())
            & {"bare_number", "group_char", "decimal_char", "float_number"}
            or self.keyed
        ):
            kind = "slow"
        if kind == "any":
            return pl.lit(True), raw, None, [], pl.lit(False)
        if kind == "string":
            ok, value, key = pl.lit(True), raw, ("s", raw)
        elif kind == "integer":
            # Parses exactly the cells that match [+-]?[0-9]+ and fit in 64 bits, which
            # Python's int() reads to the same value.
            value = raw.str.to_integer(strict=False)
            ok = value.is_not_null()
            key = ("n", value.cast(pl.String))
        elif kind == "number":
            ok = raw.str.contains(r"^[+-]?[0-9]+(\.[0-9]+)?$") & (raw.str.len_bytes() <= 16)
            value = raw.str.strip_chars_start("+").cast(pl.Float64, strict=False)
            key = None
        elif kind == "boolean":
            ok = one_of(raw, [str(v) for v in field.true_values + field.false_values])
            value = one_of(raw, [str(v) for v in field.true_values])
            key = ("n", pl.when(value).then(pl.lit("1")).otherwise(pl.lit("0")))
        elif kind == "date":
            # No cache of parsed strings: over 200,000 cells it saves 1.3 ms with 12 distinct
            # dates but costs 4.2 ms with 3,650 (4.75 and 8.4 ms without, 3.4 and 12.6 with).
            parsed = raw.str.to_date("%Y-%m-%d", strict=False, cache=False)
            ok = (
                raw.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
                & ~raw.str.starts_with("0000")
                & parsed.is_not_null()
            )
            value, key = parsed, ("d", raw)
        else:
            raise SlowPath(kind)
        checks: list[tuple[str, pl.Expr]] = []
        # (a string is always read as itself: no literal test for polars to evaluate)
        suspect = pl.lit(False) if kind == "string" else ~ok
        for name in field.supported_constraints:
            constraint = self.constraints.get(name)
            if constraint is None or name == "required":
                continue
            if name == "pattern":
                suspect = suspect | self.pattern_suspects(constraint)
            elif name in ("minLength", "maxLength"):
                length = raw.str.len_chars()
                checks.append(
                    (name, length < constraint if name == "minLength" else length > constraint)
                )
            elif name == "enum":
                if kind != "string" and kind != "integer":
                    raise SlowPath("enum")
                allowed = [reader(v) for v in constraint]
                if kind == "integer" and not all(fast_integer(v) for v in allowed):
                    raise SlowPath("enum")
                checks.append((name, ~one_of(value, [v for v in allowed if v is not None])))
            else:
                bound = fast_bound(kind, reader(constraint))
                violated = {
                    "minimum": value < bound,
                    "maximum": value > bound,
                    "exclusiveMinimum": value <= bound,
                    "exclusiveMaximum": value >= bound,
                }[name]
                checks.append((name, violated))
        return ok, value, key, checks, suspect

    def pattern_suspects(self, pattern: str) -> pl.Expr:
        # Python's `^p$` via re.match is `\A(?:^p$)`; the two engines differ only on `$`
        # before a final newline: see `FieldCheck.suspect`.
        rust = rf"\A(?:^{pattern}$)"
        try:
            pl.select(pl.lit("").str.contains(rust))
        except pl.exceptions.PolarsError as error:
            raise SlowPath("pattern") from error
        return ~self.raw.str.contains(rust)

    # Checking

    def check(self, frame: pl.DataFrame) -> FieldResult:
        return self.results(frame, frame.select(**self.flag_exprs))

    def flags(self) -> dict[str, pl.Expr]:
        """The flags of each cell, named `<field number>:<flag>` so that the flags of all
        fields can be computed in one select."""
        missing = ~self.present | one_of(self.raw, self.missing_values)
        suspect = self.suspect if self.fast else pl.lit(True)
        plain = ~missing & ~suspect
        exprs = {"missing": missing, "suspect": ~missing & suspect}
        for index, (_, violated) in enumerate(self.checks if self.fast else []):
            exprs[f"v{index}"] = plain & violated.fill_null(False)
        if self.keyed and self.fast and self.key is not None:
            exprs["key"] = pl.when(plain).then(self.key).otherwise(None)
        return {f"{self.number}:{flag}": expr for flag, expr in exprs.items()}

    @property
    def present(self) -> pl.Expr:
        return pl.col("_n") >= self.number

    def results(self, frame: pl.DataFrame, flags: pl.DataFrame) -> FieldResult:
        """The findings and keys of the field's cells in `frame`, given its flags."""
        number, name = self.number, self.name
        rows, cells = frame["_row"], frame[f"c{number - 1}"]

        def flag(kind: str) -> pl.Series | None:
            return flags.get_column(f"{number}:{kind}", default=None)

        def found(where: pl.Series, order: int, note: str, shown: pl.Series = cells) -> None:
            out.append(
                finding_frame(
                    rows.filter(where),
                    order,
                    "constraint-error",
                    number=number,
                    name=name,
                    cells=shown.filter(where),
                    note=note,
                )
            )

        out: list[pl.DataFrame] = []
        missing = flag("missing")
        if self.constraints.get("required") and missing is not None and missing.any():
            absent = pl.Series(["None"]).new_from_index(0, len(cells))
            shown = cells.zip_with(frame["_n"] >= number, absent)
            note = f'constraint "required" is "{self.constraints["required"]}"'
            found(missing, number * FIELD_SLOT, note, shown)
        key: pl.Series | None = None
        if (exact := flag("key")) is not None:
            key = exact.clone()
        elif self.keyed:
            key = pl.Series("key", [None] * frame.height, dtype=pl.String)
        supported = self.field.supported_constraints
        for index, (constraint, _) in enumerate(self.checks if self.fast else []):
            violated = flag(f"v{index}")
            if violated is not None and violated.any():
                order = number * FIELD_SLOT + 1 + supported.index(constraint)
                found(
                    violated,
                    order,
                    f'constraint "{constraint}" is "{self.constraints[constraint]}"',
                )
        suspect = flag("suspect")
        if suspect is not None and suspect.any():
            out.append(
                self.read_in_python(rows.filter(suspect), cells.filter(suspect), suspect, key)
            )
        return FieldResult(out, key)

    def read_in_python(
        self, rows: pl.Series, cells: pl.Series, mask: pl.Series, key: pl.Series | None
    ) -> pl.DataFrame:
        """Read the suspect cells with frictionless' reader; fill their keys in place."""
        found_rows: list[int] = []
        orders: list[int] = []
        types: list[str] = []
        notes: list[str] = []
        found_cells: list[str] = []
        keys: list[str | None] = []
        supported = self.field.supported_constraints
        base = self.number * FIELD_SLOT
        for row, cell in zip(rows.to_list(), cells.to_list(), strict=True):
            target, found = self.reader(cell)
            keys.append(canonical_key(target))
            for name, note in (found or {}).items():
                found_rows.append(row)
                found_cells.append(cell)
                notes.append(note)
                if name == "type":
                    types.append("type-error")
                    orders.append(base)
                else:
                    types.append("constraint-error")
                    orders.append(base + 1 + supported.index(name))
        if key is not None:
            key.scatter(mask.arg_true(), pl.Series(keys, dtype=pl.String))
        return pl.DataFrame(
            {
                "_row": found_rows,
                "_order": orders,
                "type": types,
                "fieldNumber": [self.number] * len(found_rows),
                "fieldName": [self.name] * len(found_rows),
                "cell": found_cells,
                "note": notes,
            },
            schema=FINDING_SCHEMA,
        )


def one_of(expr: pl.Expr, values: list) -> pl.Expr:
    """Whether the value is one of `values` (null for a null value, as `is_in` says)."""
    if not values:
        return pl.lit(False)
    if len(values) > FEW_VALUES:
        return expr.is_in(values)
    # A few comparisons take about half the time of a hash look-up: six values over
    # 200,000 cells in 2.6 ms, against 4.8 ms for is_in.
    return pl.any_horizontal([expr == value for value in values])


def fast_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < MAX_FAST_INTEGER


def fast_bound(kind: str, bound: Any) -> Any:
    """A bound polars compares exactly as frictionless does, or SlowPath."""
    if kind == "integer" and fast_integer(bound):
        return bound
    # Decimals of at most 15 significant digits keep their order as float64.
    if (
        kind == "number"
        and isinstance(bound, Decimal)
        and bound.is_finite()
        and len(bound.normalize().as_tuple().digits) <= 15
    ):
        return float(bound)
    if kind == "date" and isinstance(bound, dt.date) and not isinstance(bound, dt.datetime):
        return bound
    raise SlowPath(f"{kind} bound {bound!r}")
