"""JUnit XML: valid against a JUnit schema, a test case per gate and system, numbers in failures."""

from __future__ import annotations

from pathlib import Path

import junitparser
import pytest
import xmlschema

from judge.cli.junit import write_junit
from judge.reports.analysis.gates import RunBaseline, evaluate_gates, parse_gate

SCHEMA = Path(__file__).parent / "data" / "junit.xsd"
SCORES = {
    "f1": {
        "base": {"1": 0.8, "2": 0.9, "3": 0.7, "4": 0.8},
        "worse": {"1": 0.6, "2": 0.7, "3": 0.5, "4": 0.6},
    }
}


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA))


def _write(tmp_path: Path, gates: list[object], **kwargs: object) -> Path:
    results = evaluate_gates(
        [parse_gate(g) for g in gates], scores=SCORES, higher_is_better={"f1": True}, **kwargs
    )  # type: ignore[arg-type]
    path = tmp_path / "reports" / "junit.xml"
    write_junit(
        path=path,
        suite="tiny <&> suite",
        results=results,
        seconds=1.5,
        timestamp="2025-01-02T03:04:05",
        properties={"run_id": "r1", "baseline_run": None},
    )
    return path


def test_one_case_per_gate_and_system_with_numbers(
    tmp_path: Path, schema: xmlschema.XMLSchema
) -> None:
    path = _write(
        tmp_path,
        [
            "f1 >= 0.7",  # base passes, worse fails
            "warn: f1 >= 0.85",  # both miss: warnings, not failures
            "f1 drop vs base <= 0.05",  # one case: worse vs base, fails
            "f1 drop vs baseline run <= 0",  # no baseline run: skipped per system
        ],
    )
    schema.validate(str(path))
    xml = junitparser.JUnitXml.fromfile(str(path))
    (suite,) = list(xml)
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (7, 2, 0, 2)
    cases = {(c.classname, c.name): c for c in suite}
    assert len(cases) == 7
    failed = cases[("judge.tiny <&> suite.worse", "f1 >= 0.7")]
    (failure,) = failed.result
    assert isinstance(failure, junitparser.Failure)
    assert failure.message.startswith("worse: 0.6000 (95% CI ")
    assert "gate: f1 >= 0.7" in failure.text
    assert cases[("judge.tiny <&> suite.base", "f1 >= 0.7")].is_passed
    warned = cases[("judge.tiny <&> suite.worse", "warn: f1 >= 0.85")]
    assert warned.is_passed and "warning (severity warn)" in warned.system_out
    compared = cases[("judge.tiny <&> suite.worse", "f1 drop vs base <= 0.05")]
    assert "-0.2000" in compared.result[0].message
    skipped = cases[("judge.tiny <&> suite.base", "f1 drop vs baseline run <= 0")]
    assert skipped.is_skipped and "no baseline run" in skipped.result[0].message
    props = {p.name: p.value for p in suite.properties()}
    assert props == {"run_id": "r1"}


def test_all_passing_file_is_valid_and_empty_of_failures(
    tmp_path: Path, schema: xmlschema.XMLSchema
) -> None:
    base = RunBaseline("run r0", scores=SCORES)
    path = _write(
        tmp_path, ["f1 >= 0.1", "f1 drop vs baseline run <= 0 significant"], baseline=base
    )
    schema.validate(str(path))
    (suite,) = list(junitparser.JUnitXml.fromfile(str(path)))
    assert (suite.tests, suite.failures, suite.skipped) == (4, 0, 0)
    assert float(suite.time) == 1.5


def test_the_schema_rejects_what_ci_servers_reject(
    tmp_path: Path, schema: xmlschema.XMLSchema
) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<testsuites><testsuite name="s" tests="-1"><testcase/></testsuite></testsuites>'
    )
    assert not schema.is_valid(str(bad))
