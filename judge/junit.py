"""Gate results as JUnit XML: one test case per gate, failures carry the numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from judge.errors import UserError
from judge.gates import GateResult


def junit_xml(*, suite: str, results: list[GateResult]) -> str:
    failed = sum(1 for r in results if not r.passed and r.severity == "fail")
    root = ET.Element("testsuites", name="judge", tests=str(len(results)), failures=str(failed))
    cases = ET.SubElement(
        root, "testsuite", name=suite, tests=str(len(results)), failures=str(failed), errors="0"
    )
    for r in results:
        case = ET.SubElement(cases, "testcase", classname=f"judge.{suite}", name=r.gate)
        if not r.passed and r.severity == "fail":
            ET.SubElement(case, "failure", message=f"gate failed: {r.gate}").text = r.detail
        elif not r.passed:
            ET.SubElement(case, "system-out").text = f"warning: {r.detail}"
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def write_junit(*, path: Path, suite: str, results: list[GateResult]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(junit_xml(suite=suite, results=results) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UserError(
            f"cannot write the JUnit file: {exc.strerror or exc}; choose another --junit path",
            where=str(path),
        ) from None
