"""Reading a FOCUS CSV: good rows, every bad row by its line, and the environment column."""

from datetime import date
from decimal import Decimal

import pytest

from backoffice.finance.focus import MAX_ROWS, RowError, decode, parse, totals
from infra.environments import CostCategory

KNOWN = ["Test", "Dev", "Staging", "Prod"]
HEADER = "ChargePeriodStart,ServiceCategory,BilledCost,BillingCurrency,Environment\n"


def test_good_rows_with_a_plain_environment_column():
    parsed = parse(
        HEADER
        + "2026-11-24,Compute,180.00,USD,Prod\n"
        + "2026-11-24T00:00:00Z,Databases,120,USD,prod\n"
        + "2026-11-24,Management and Governance,60.5,USD,Dev\n",
        environments=KNOWN,
    )
    assert parsed.errors == ()
    assert [(r.line, r.day, r.environment, r.category, r.billed_cost) for r in parsed.rows] == [
        (2, date(2026, 11, 24), "Prod", CostCategory.COMPUTE, Decimal("180.00")),
        (3, date(2026, 11, 24), "Prod", CostCategory.DATA, Decimal("120")),
        (4, date(2026, 11, 24), "Dev", CostCategory.OBSERVABILITY, Decimal("60.5")),
    ]


def test_environment_from_focus_tags_json_or_pairs():
    text = (
        "BillingCurrency,BilledCost,ServiceCategory,ChargePeriodStart,Tags,ServiceName\n"
        'USD,5,Networking,2026-11-24T00:00:00Z,"{""env"": ""Staging"", ""team"": ""core""}",VPC\n'
        "USD,9,Storage,2026-11-24,team=core;env=Test,S3\n"
    )
    parsed = parse(text, environments=KNOWN)
    assert parsed.errors == ()
    assert [(r.environment, r.category) for r in parsed.rows] == [
        ("Staging", CostCategory.NETWORK),
        ("Test", CostCategory.DATA),
    ]


def test_every_bad_row_is_reported_by_its_line_with_its_reason():
    text = (
        HEADER
        + "2026-11-24,Compute,1,USD,Prod\n"  # 2: good
        + "24/11/2026,Compute,1,USD,Prod\n"  # 3: date
        + "2026-11-24,Compute,1,USD,QA\n"  # 4: environment
        + "2026-11-24,Security,1,USD,Prod\n"  # 5: category
        + "2026-11-24,Compute,-1,USD,Prod\n"  # 6: negative
        + "2026-11-24,Compute,1e3,USD,Prod\n"  # 7: not plain decimal
        + "2026-11-24,Compute,1,EUR,Prod\n"  # 8: currency
        + "2026-02-30,Compute,abc,USD,\n"  # 9: several reasons in one row
        + "2026-11-24,Compute,1,USD\n"  # 10: short row
        + "2026-11-24T05:00:00+02:00,Compute,1,USD,Prod\n"  # 11: not UTC
        + "2026-11-24,Compute,1.1234567,USD,Prod\n"  # 12: too many places
    )
    parsed = parse(text, environments=KNOWN)
    assert [e.line for e in parsed.errors] == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    reasons = {e.line: e.reason for e in parsed.errors}
    assert "ChargePeriodStart '24/11/2026' is not a date" in reasons[3]
    assert "unknown environment 'QA'" in reasons[4]
    assert "ServiceCategory 'Security' is not tracked" in reasons[5]
    assert reasons[6] == "BilledCost -1 is negative"
    assert reasons[7] == "BilledCost '1e3' is not a decimal number"
    assert reasons[8] == "BillingCurrency 'EUR' is not USD"
    assert "not a real date" in reasons[9] and "not a decimal number" in reasons[9]
    assert "no environment" in reasons[9]
    assert reasons[10] == "has 4 fields, the header has 5"
    assert "not in UTC" in reasons[11]
    assert "more than 6 decimal places" in reasons[12]
    assert str(parsed.errors[0]).startswith("line 3: ")
    assert [r.line for r in parsed.rows] == [2]


def test_line_numbers_count_physical_lines_across_quoted_newlines_and_blank_lines():
    text = (
        "ChargePeriodStart,ServiceCategory,BilledCost,BillingCurrency,Environment,ChargeDescription\n"
        '2026-11-24,Compute,1,USD,Prod,"two\nlines"\n'  # lines 2-3
        "\n"  # line 4: blank, skipped
        "2026-11-24,Compute,x,USD,Prod,one\n"  # line 5
    )
    parsed = parse(text, environments=KNOWN)
    assert [e.line for e in parsed.errors] == [5]


def test_a_header_without_the_needed_columns_is_one_error_on_line_1():
    parsed = parse("ChargePeriodStart,BilledCost\n2026-11-24,1\n", environments=KNOWN)
    assert parsed.rows == ()
    (error,) = parsed.errors
    assert error.line == 1
    assert "ServiceCategory" in error.reason and "BillingCurrency" in error.reason
    assert "Environment (or Tags" in error.reason


def test_column_names_are_matched_without_case_and_a_bom_is_fine():
    data = ("\ufeffchargeperiodstart,SERVICECATEGORY,billedcost,billingcurrency,tags\n").encode()
    data += b"2026-11-24,compute,1,USD,env=Dev\n"
    text = decode(data)
    assert isinstance(text, str)
    parsed = parse(text, environments=KNOWN)
    assert parsed.errors == ()
    assert parsed.rows[0].environment == "Dev"


def test_empty_file_and_header_only_are_errors():
    assert parse("", environments=KNOWN).errors == (
        RowError(1, "the file is empty: a header row is expected"),
    )
    (error,) = parse(HEADER, environments=KNOWN).errors
    assert error.reason == "the file has a header but no cost rows"


def test_not_utf8_names_the_line():
    error = decode(HEADER.encode() + b"2026-11-24,Compute,1,USD,Pr\xffd\n")
    assert error == RowError(2, "not UTF-8 text")


def test_tags_that_are_not_an_object():
    text = "ChargePeriodStart,ServiceCategory,BilledCost,BillingCurrency,Tags\n"
    text += '2026-11-24,Compute,1,USD,"{not json"\n2026-11-24,Compute,1,USD,"{""env"": 3}"\n'
    parsed = parse(text, environments=KNOWN)
    assert [e.reason for e in parsed.errors] == [
        "Tags is not a JSON object",
        "Tags 'env' is not a string",
    ]


def test_more_rows_than_the_limit_stop_with_an_error(monkeypatch):
    monkeypatch.setattr("backoffice.finance.focus.MAX_ROWS", 3)
    parsed = parse(HEADER + "2026-11-24,Compute,1,USD,Prod\n" * 5, environments=KNOWN)
    assert [e.line for e in parsed.errors] == [5]
    assert "more than 3 rows" in parsed.errors[0].reason
    assert MAX_ROWS == 100_000


def test_rows_of_the_same_day_environment_and_category_add_up():
    parsed = parse(
        HEADER
        + "2026-11-24T00:00:00Z,Compute,1.25,USD,Prod\n"
        + "2026-11-24T01:00:00Z,Compute,2.75,USD,Prod\n"
        + "2026-11-24,Storage,1,USD,Prod\n"
        + "2026-11-24,Databases,2,USD,Prod\n",
        environments=KNOWN,
    )
    assert totals(parsed.rows) == {
        (date(2026, 11, 24), "Prod", CostCategory.COMPUTE): Decimal("4.00"),
        (date(2026, 11, 24), "Prod", CostCategory.DATA): Decimal("3"),
    }


@pytest.mark.parametrize(
    "stamp", ["2026-11-24", "2026-11-24T00:00:00Z", "2026-11-24 13:00:00+00:00"]
)
def test_accepted_date_forms(stamp):
    parsed = parse(HEADER + f"{stamp},Compute,1,USD,Prod\n", environments=KNOWN)
    assert parsed.rows[0].day == date(2026, 11, 24)
