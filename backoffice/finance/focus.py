"""Reading a FinOps FOCUS cost export: every row checked, every bad row named by its line.

No Django here; `services.import_focus` writes what this accepts.

The file is CSV, UTF-8 (a BOM is fine), a header row first. Columns (FOCUS column ids; names
are matched without regard to case, other columns are ignored):

- `ChargePeriodStart`: the day, `2026-11-24` or a UTC date-time `2026-11-24T00:00:00Z`
  (hourly rows add up into their day);
- `ServiceCategory`: FOCUS's `Compute`, `Databases` or `Storage` (-> Data), `Networking`,
  `Management and Governance` (-> Observability), or the dashboard's own four names;
- `BilledCost`: a plain decimal >= 0 with at most 6 places (`12.50`; no sign, no exponent);
- `BillingCurrency`: `USD`;
- the environment: an `Environment` column (`Prod`), or else FOCUS's `Tags` column, a JSON
  object with an `env` (or `environment`) key (`{"env": "Prod"}`) or `env=Prod` pairs
  separated by `;` or `,`. When both are present a non-empty `Environment` wins.

Several rows for the same day, environment and category add up: the file is the bill for each
(day, environment, category) it names, and importing it again gives the same figures.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from infra.environments import CostCategory

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
COST_PLACES = 6
MAX_COST = Decimal(10) ** 12  # the database keeps 12 digits before the point

REQUIRED_COLUMNS = ("ChargePeriodStart", "ServiceCategory", "BilledCost", "BillingCurrency")
ENVIRONMENT_COLUMN = "Environment"
TAGS_COLUMN = "Tags"
TAG_KEYS = ("env", "environment")
CURRENCY = "USD"

CATEGORY_NAMES: Mapping[str, CostCategory] = {
    "compute": CostCategory.COMPUTE,
    "databases": CostCategory.DATA,
    "storage": CostCategory.DATA,
    "data": CostCategory.DATA,
    "networking": CostCategory.NETWORK,
    "network": CostCategory.NETWORK,
    "management and governance": CostCategory.OBSERVABILITY,
    "observability": CostCategory.OBSERVABILITY,
}

_DATE = re.compile(
    r"(?P<day>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(?P<zone>Z|[+-]\d{2}:?\d{2})?)?"
)
_COST = re.compile(r"-?\d+(?:\.\d+)?")
_UTC_ZONES = ("Z", "+00:00", "+0000", "-00:00", "-0000")


@dataclass(frozen=True, slots=True)
class FocusRow:
    line: int
    day: date
    environment: str  # the known environment's own spelling
    category: CostCategory
    billed_cost: Decimal


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ParsedFile:
    rows: tuple[FocusRow, ...]
    errors: tuple[RowError, ...]


CostKey = tuple[date, str, CostCategory]


def decode(data: bytes) -> str | RowError:
    """The file's text, or the error naming the line of its first byte that is not UTF-8."""
    if len(data) > MAX_FILE_BYTES:
        return RowError(1, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return RowError(data[: error.start].count(b"\n") + 1, "not UTF-8 text")


def parse(text: str, *, environments: Iterable[str]) -> ParsedFile:
    """Every row of `text` checked; `environments` are the names a row may use."""
    known = {name.casefold(): name for name in environments}
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        return ParsedFile((), (RowError(1, f"the header is not valid CSV: {error}"),))
    if header is None:
        return ParsedFile((), (RowError(1, "the file is empty: a header row is expected"),))
    columns = _columns(header)
    if isinstance(columns, RowError):
        return ParsedFile((), (columns,))
    rows: list[FocusRow] = []
    errors: list[RowError] = []
    line = reader.line_num + 1  # the line the next record starts on
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as error:
            errors.append(RowError(line, f"not valid CSV: {error}"))
            break
        if cells is None:
            break
        if any(cell.strip() for cell in cells):
            if len(rows) + len(errors) >= MAX_ROWS:
                errors.append(RowError(line, f"the file has more than {MAX_ROWS:,} rows"))
                break
            checked = _row(line, cells, len(header), columns, known)
            if isinstance(checked, RowError):
                errors.append(checked)
            else:
                rows.append(checked)
        line = reader.line_num + 1
    if not rows and not errors:
        errors.append(RowError(line, "the file has a header but no cost rows"))
    return ParsedFile(tuple(rows), tuple(errors))


def totals(rows: Iterable[FocusRow]) -> dict[CostKey, Decimal]:
    """Billed cost per (day, environment, category): rows of the same key add up."""
    summed: dict[CostKey, Decimal] = {}
    for row in rows:
        key = (row.day, row.environment, row.category)
        summed[key] = summed.get(key, Decimal(0)) + row.billed_cost
    return summed


# --- one row -------------------------------------------------------------------------------


def _columns(header: list[str]) -> dict[str, int] | RowError:
    """Index of each column this reader uses, by its FOCUS id; an error if one is missing."""
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        index.setdefault(name.strip().lstrip("\ufeff").casefold(), position)
    wanted = (*REQUIRED_COLUMNS, ENVIRONMENT_COLUMN, TAGS_COLUMN)
    columns = {name: index[name.casefold()] for name in wanted if name.casefold() in index}
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if ENVIRONMENT_COLUMN not in columns and TAGS_COLUMN not in columns:
        missing.append(f"{ENVIRONMENT_COLUMN} (or {TAGS_COLUMN} with env=...)")
    if missing:
        return RowError(1, f"the header lacks the column(s) {', '.join(missing)}")
    return columns


def _row(
    line: int,
    cells: list[str],
    width: int,
    columns: dict[str, int],
    known: dict[str, str],
) -> FocusRow | RowError:
    if len(cells) != width:
        return RowError(line, f"has {len(cells)} fields, the header has {width}")

    def cell(name: str) -> str:
        return cells[columns[name]].strip() if name in columns else ""

    reasons: list[str] = []
    day = _day(cell("ChargePeriodStart"), reasons)
    category = _category(cell("ServiceCategory"), reasons)
    cost = _cost(cell("BilledCost"), reasons)
    currency = cell("BillingCurrency")
    if currency != CURRENCY:
        reasons.append(f"BillingCurrency {currency!r} is not {CURRENCY}")
    environment = _environment(cell(ENVIRONMENT_COLUMN), cell(TAGS_COLUMN), known, reasons)
    if reasons or day is None or category is None or cost is None or environment is None:
        return RowError(line, "; ".join(reasons))
    return FocusRow(line, day, environment, category, cost)


def _day(text: str, reasons: list[str]) -> date | None:
    match = _DATE.fullmatch(text)
    if match is None:
        reasons.append(
            f"ChargePeriodStart {text!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)"
        )
        return None
    zone = match["zone"]
    if zone is not None and zone not in _UTC_ZONES:
        reasons.append(f"ChargePeriodStart {text!r} is not in UTC")
        return None
    try:
        return date.fromisoformat(match["day"])
    except ValueError:
        reasons.append(f"ChargePeriodStart {text!r} is not a real date")
        return None


def _category(text: str, reasons: list[str]) -> CostCategory | None:
    category = CATEGORY_NAMES.get(" ".join(text.split()).casefold())
    if category is None:
        reasons.append(
            f"ServiceCategory {text!r} is not tracked (Compute, Databases, Storage, "
            "Networking, Management and Governance)"
        )
    return category


def _cost(text: str, reasons: list[str]) -> Decimal | None:
    if _COST.fullmatch(text) is None:
        reasons.append(f"BilledCost {text!r} is not a decimal number")
        return None
    try:
        cost = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        reasons.append(f"BilledCost {text!r} is not a decimal number")
        return None
    if cost < 0:
        reasons.append(f"BilledCost {text} is negative")
    elif cost >= MAX_COST:
        reasons.append(f"BilledCost {text} is too large")
    elif -int(cost.as_tuple().exponent) > COST_PLACES:
        reasons.append(f"BilledCost {text} has more than {COST_PLACES} decimal places")
    else:
        return cost
    return None


def _environment(column: str, tags: str, known: dict[str, str], reasons: list[str]) -> str | None:
    name = column or _tagged_environment(tags, reasons)
    if name is None:
        return None
    if not name:
        reasons.append(f"no environment: {ENVIRONMENT_COLUMN} is empty and Tags has no env")
        return None
    environment = known.get(name.casefold())
    if environment is None:
        choices = ", ".join(sorted(known.values())) or "none yet"
        reasons.append(f"unknown environment {name!r} (known: {choices})")
    return environment


def _tagged_environment(tags: str, reasons: list[str]) -> str | None:
    """The env tag of FOCUS `Tags`: "" when absent, None (with a reason) when unreadable."""
    if not tags:
        return ""
    pairs: dict[str, object]
    if tags.startswith("{"):
        try:
            loaded = json.loads(tags)
        except ValueError:
            reasons.append("Tags is not a JSON object")
            return None
        if not isinstance(loaded, dict):
            reasons.append("Tags is not a JSON object")
            return None
        pairs = loaded
    else:
        pairs = {}
        for pair in re.split(r"[;,]", tags):
            key, sep, value = pair.partition("=")
            if sep:
                pairs[key.strip()] = value.strip()
    for key, value in pairs.items():
        if str(key).strip().casefold() in TAG_KEYS:
            if not isinstance(value, str):
                reasons.append(f"Tags {key!r} is not a string")
                return None
            return value.strip()
    return ""
