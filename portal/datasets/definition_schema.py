"""JSON Schema of a publisher entry (publishers/<slug>.yaml); `meta_schema.py` has the one of
schemas/<slug>/dataset.yaml.

Checked when definitions load (`definitions.py`); `docs/reference.md` is generated from the
descriptions here (`python -m portal.datasets.reference`), and a test keeps the two equal.
"""

from __future__ import annotations

SLUG = r"^[a-z0-9][a-z0-9-]*$"
# A column's `function`s (portal.pipeline.functions implements them).
FUNCTIONS = (
    "date",
    "datetime",
    "month",
    "year",
    "age_band",
    "list",
    "number",
    "integer",
    "lower",
    "trim",
)
# Functions that read a date or time, and so take `formats` (and `pivot` for %y).
DATE_FUNCTIONS = ("date", "datetime", "month", "year", "age_band")
STRFTIME = {
    "description": "strftime pattern(s) the source writes, e.g. `%m/%d/%Y %I:%M:%S %p`; "
    "a value must match exactly one reading (two formats that read it differently fail it)",
    "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
}
MARKERS = {
    "description": 'source cells (after trimming) that mean "no value", e.g. `[NULL, NA]`: '
    "published as empty",
    "type": "array",
    "items": {"type": "string"},
}

COLUMN = {
    "description": "how one field is computed from a source row: a source column name "
    "(copied, trimmed) or a mapping",
    "oneOf": [
        {"type": "string"},
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "from": {"type": "string", "description": "the source column read"},
                "value": {
                    "type": ["string", "number", "boolean"],
                    "description": "a constant published in every row (instead of `from`)",
                },
                "values": {
                    "type": "object",
                    "additionalProperties": {"type": ["string", "number", "boolean"]},
                    "description": "codes → published values; a code not listed passes "
                    "through unchanged, so validation reports it (for `list`: per item)",
                },
                "function": {
                    "enum": list(FUNCTIONS),
                    "description": "`date` → YYYY-MM-DD; `datetime` → YYYY-MM-DDThh:mm:ss; "
                    "`month` → YYYY-MM; `year` → YYYY (all read with `formats`; default: "
                    "ISO, MM/DD/YYYY, DD.MM.YYYY and YYYY/MM/DD, with optional times, 4-digit "
                    "years only); `integer`: digits with optional 1,234 grouping and a zero "
                    "fraction (12.0), anything else fails; `number`: a decimal with optional "
                    "1,234 grouping and exponent, published without the commas; `age_band`: "
                    "an age, or a date of birth with `at`, as a band (under-18, 18-24, "
                    "25-34, 35-44, 45-54, 55-64, 65-plus; ages 0-120, children included; "
                    "older or negative ages fail); `list`: items split on `separator`, "
                    "trimmed, mapped by `values`, empty items dropped, order and repeats "
                    "kept, joined with `join`; `lower`: lower case; `trim`: outer spaces "
                    "removed (every function trims). A value a function cannot read fails "
                    "its cell: the run fails naming the source value, file and line",
                },
                "formats": STRFTIME,
                "pivot": {
                    "type": "integer",
                    "description": "required when a format has a two-digit year (`%y`): the "
                    "first year of the 100 years it falls in (1950: 50 → 1950, 49 → 2049)",
                },
                "at": {
                    "type": "string",
                    "description": "`age_band`: the source column of the date the age is "
                    "counted on (then `from` is the date of birth)",
                },
                "at_formats": {**STRFTIME, "description": "`age_band`: formats of `at`"},
                "bands": {
                    "type": "object",
                    "additionalProperties": {"type": "integer"},
                    "description": "`age_band`: your own bands, label → first age not in "
                    "it, in order (`{under-10: 10, 10-17: 18, adult: 121}`)",
                },
                "separator": {
                    "type": "string",
                    "description": "`list`: the source's item separator (default `;`)",
                },
                "join": {
                    "type": "string",
                    "description": "`list`: the published item separator (default `;`)",
                },
                "unique": {
                    "type": "boolean",
                    "description": "`list`: drop repeated items (keeps the first)",
                },
                "order": {
                    "enum": ["values"],
                    "description": "`list`: sort items in the order `values` lists them",
                },
                "take": {
                    "enum": ["first"],
                    "description": "`list`: publish only the first item (after `order`)",
                },
                "currency": {
                    "type": "string",
                    "description": "`number`: a currency sign the source puts before amounts "
                    "(`$`), dropped",
                },
                "pad": {
                    "description": "left-pad digit-only values to this width with zeros "
                    "(ZIP codes that lost a leading 0); or `{width, char}`",
                    "oneOf": [
                        {"type": "integer", "minimum": 1},
                        {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["width"],
                            "properties": {
                                "width": {
                                    "type": "integer",
                                    "minimum": 1,
                                    "description": "the width to pad to",
                                },
                                "char": {
                                    "type": "string",
                                    "minLength": 1,
                                    "maxLength": 1,
                                    "description": "the padding character (default `0`)",
                                },
                            },
                        },
                    ],
                },
                "range": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "min": {"type": "number", "description": "the smallest value kept"},
                        "max": {"type": "number", "description": "the largest value kept"},
                    },
                    "description": "numbers outside `min`..`max` are blanked (coordinates "
                    "recorded as 0); each blanked cell is counted in the run's report",
                },
                "on_error": {
                    "enum": ["fail", "blank"],
                    "description": "`fail` (default): an unreadable cell fails the run; "
                    "`blank`: it is published empty and counted per column in the report",
                },
                "default": {
                    "type": ["string", "number"],
                    "description": "published when the source cell is empty",
                },
            },
        },
    ],
}

GROUP_KEY = {
    "description": "a key field of an aggregate: a field name (copied) or a mapping",
    "oneOf": [
        {"type": "string"},
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "from": {"type": "string", "description": "the field of the `from` table"},
                "value": {"type": ["string", "number"], "description": "a constant"},
                "values": {
                    "type": "object",
                    "additionalProperties": {"type": ["string", "number", "boolean"]},
                    "description": "codes → published values",
                },
                "function": {
                    "enum": ["month", "year", "lower", "trim"],
                    "description": "`month` (YYYY-MM) or `year` (YYYY) of an ISO date, "
                    "`lower`, `trim`",
                },
            },
        },
    ],
}

SOURCE = {
    "type": "object",
    "description": "where the resource's rows come from",
    "required": ["type"],
    "additionalProperties": False,
    "properties": {
        "type": {
            "enum": ["file", "http", "sql", "upload"],
            "description": "`file` (a path or glob under the data folder), `http`, `sql`, "
            "or `upload` (a file a records officer provides)",
        },
        "format": {"enum": ["csv", "xlsx", "json"], "description": "default: from the name"},
        "encoding": {"type": "string", "description": "text encoding (detected when absent)"},
        "delimiter": {"type": "string", "description": "CSV delimiter (sniffed when absent)"},
        "sheet": {"type": ["string", "integer"], "description": "xlsx: the sheet read"},
        "records": {"type": "string", "description": "json: dotted path to the records list"},
        "missing_values": MARKERS,
        "path": {"type": "string", "description": "file: path or glob; `${NAME}` allowed"},
        "url": {"type": "string", "description": "http or sql: address; `${NAME}` allowed"},
        "headers": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "http: request headers",
        },
        "timeout": {"type": "number", "description": "http, sql: seconds per attempt"},
        "total_timeout": {"type": "number", "description": "http: seconds for everything"},
        "max_bytes": {"type": "integer", "description": "http: largest body accepted"},
        "retries": {"type": "integer", "description": "http: retries on failure"},
        "backoff": {"type": "number", "description": "http: seconds before a retry"},
        "max_retry_after": {"type": "number", "description": "http: longest Retry-After"},
        "verify": {
            "type": ["boolean", "string"],
            "description": "http: check TLS certificates (or a CA bundle path)",
        },
        "query": {"type": "string", "description": "sql: the SELECT run"},
    },
}

AGGREGATE = {
    "type": "object",
    "description": "a table derived from another resource of the dataset (instead of "
    "`source` and `columns`)",
    "required": ["from", "group_by", "measures"],
    "additionalProperties": False,
    "properties": {
        "from": {"type": "string", "description": "the resource aggregated"},
        "explode": {
            "type": "object",
            "additionalProperties": False,
            "required": ["column"],
            "properties": {
                "column": {"type": "string", "description": "the list field split"},
                "separator": {"type": "string", "description": "its separator (default `;`)"},
            },
            "description": "one row per item of a list column before grouping",
        },
        "group_by": {
            "type": "object",
            "additionalProperties": GROUP_KEY,
            "description": "the key fields, each computed from a field of the `from` table",
        },
        "measures": {
            "type": "object",
            "description": "`{count: rows}`, `{count_distinct: column}` or `{sum: column}`",
            "additionalProperties": {
                "description": "one measure: exactly one of `count`, `count_distinct`, `sum`",
                "oneOf": [
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["count"],
                        "properties": {
                            "count": {"const": "rows", "description": "the number of rows"}
                        },
                    },
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["count_distinct"],
                        "properties": {
                            "count_distinct": {
                                "type": "string",
                                "description": "the number of distinct values of this field",
                            }
                        },
                    },
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["sum"],
                        "properties": {
                            "sum": {"type": "string", "description": "the sum of this field"}
                        },
                    },
                ],
            },
        },
    },
}

RESOURCE = {
    "type": "object",
    "additionalProperties": False,
    "description": "one table of the dataset; the table schema is "
    "`schemas/<dataset>/<resource>.schema.json`",
    "properties": {
        "source": SOURCE,
        "columns": {
            "type": "object",
            "additionalProperties": COLUMN,
            "description": "field → how it is computed; every schema field needs one (or a "
            "`select` expression); unmapped source columns are ignored and listed in the run's "
            "report",
        },
        "aggregate": AGGREGATE,
        "never_publish": {
            "type": "array",
            "items": {"type": "string"},
            "description": "source columns whose values must never appear in a public file",
        },
        "privacy": {
            "type": "object",
            "description": "the privacy guard's declaration (actions per field); checked by "
            "the privacy rules when definitions load",
        },
        "table_kind": {
            "enum": ["records", "aggregate"],
            "description": "`aggregate`: counts with no row per person (may auto-publish)",
        },
        "missing_values": MARKERS,
        "select": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "derived fields: field → a DuckDB SQL expression over the mapped "
            "columns (text; dates in ISO 8601), e.g. `date_diff('year', CAST(hire_date AS "
            "DATE), CAST(incident_date AS DATE))`; computed row by row after `columns`, "
            "before validation and the privacy guard; `columns` may then map helper fields "
            "that are not published",
        },
    },
}

PUBLISHER_ENTRY = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Publisher entry (publishers/<slug>.yaml)",
    "type": "object",
    "additionalProperties": False,
    "required": ["resources"],
    "properties": {
        "dataset": {
            "type": "string",
            "pattern": SLUG,
            "description": "the dataset's slug (default: the file name); its schemas are in "
            "`schemas/<slug>/`",
        },
        "schedule": {
            "type": "object",
            "additionalProperties": False,
            "required": ["cron"],
            "properties": {
                "cron": {"type": "string", "description": "five or six crontab fields"},
                "timezone": {"type": "string", "description": "IANA zone, e.g. America/Chicago"},
            },
            "description": "when the scheduler runs the publisher",
        },
        "cadence": {
            "type": "string",
            "pattern": r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$",
            "description": "ISO 8601 duration between releases (P1M); overdue 3 days after",
        },
        "auto_publish": {
            "type": "boolean",
            "description": "publish valid candidates without review (only when every "
            "resource is an aggregate table)",
        },
        "resources": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": RESOURCE,
            "description": "resource name → how its table is made",
        },
    },
}
