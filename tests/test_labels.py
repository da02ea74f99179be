"""Numeric labels (human ratings for calibration): every value a finite number, or a clear error."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from judge.errors import UserError
from judge.suite.human_labels import number_of, read_numeric_labels

RATINGS = Path(__file__).resolve().parents[1] / "suites" / "support-bot" / "human_ratings.csv"


def test_reads_the_example_suites_ratings() -> None:
    labels = read_numeric_labels(
        path=RATINGS, column="rating", keys=("id", "system"), bounds=(1, 5)
    )
    assert len(labels) == 48 * 3
    assert labels[("kb-001", "gpt-large")] == 5.0
    assert {k[1] for k in labels} == {"gpt-large", "small-fast", "edgy-bot"}
    assert all(1 <= v <= 5 for v in labels.values())


def test_jsonl_numbers_and_strings(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text(
        '{"id": 1, "label": 0.25}\n{"id": "b", "label": " 3 "}\n{"id": "c", "label": -2}\n'
    )
    assert read_numeric_labels(path=path, column="label") == {
        ("1",): 0.25,
        ("b",): 3.0,
        ("c",): -2.0,
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,rating\na,nan\n", "row 1: 'rating' is 'nan', not a finite number"),
        ("id,rating\na,4\nb,NaN\n", "row 2: 'rating' is 'NaN', not a finite number"),
        ("id,rating\na,inf\n", "row 1: 'rating' is 'inf', not a finite number"),
        ("id,rating\na,good\n", "row 1: 'rating' must be a number, got 'good'"),
        ("id,rating\na,\n", "row 1: no value in 'rating'; fill it in or drop the row"),
        ('id,rating\na,"4,5"\n', "write decimals with a dot (4.5, not 4,5)"),
        ("id,rating\na,9\n", "row 1: 'rating' is 9, outside the scale 1 to 5"),
        ("id,score\na,4\n", "row 1: no 'rating' column (columns: id, score)"),
        ("id,rating\na,4\na,5\n", "row 2: a second label for (a) (first on row 1)"),
        ("id,rating\n,4\n", "row 1: no 'id' value"),
    ],
)
def test_csv_label_errors_name_the_row(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(content)
    with pytest.raises(UserError) as err:
        read_numeric_labels(path=path, column="rating", bounds=(1, 5))
    assert f"{path}: " in str(err.value) and message in str(err.value)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "a", "rating": NaN}', "'rating' is nan, not a finite number"),
        ('{"id": "a", "rating": Infinity}', "'rating' is inf, not a finite number"),
        ('{"id": "a", "rating": true}', "'rating' must be a number, got true"),
        ('{"id": "a", "rating": [4]}', "'rating' must be a number, got list"),
        ('{"id": "a", "rating": null}', "no value in 'rating'"),
    ],
)
def test_jsonl_label_errors_name_the_row(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text('{"id": "z", "rating": 1}\n' + line + "\n")
    with pytest.raises(UserError, match="row 2") as err:
        read_numeric_labels(path=path, column="rating")
    assert message in str(err.value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_number_round_trips_through_csv(value: float) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([repr(value)])
    cell = next(csv.reader(io.StringIO(buffer.getvalue())))[0]
    assert number_of(cell, column="x", where="f: row 1") == value


@given(st.text().filter(lambda t: not _is_number(t)))
def test_no_other_text_passes_for_a_number(text: str) -> None:
    with pytest.raises(UserError, match=r"f: row 1: (no value in 'x'|'x' must be a number|'x' is)"):
        number_of(text, column="x", where="f: row 1")


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text.strip()))
    except ValueError:
        return False
