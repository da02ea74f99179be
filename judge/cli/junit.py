"""Gate results as JUnit XML: one test case per gate and system, failures carry the numbers.

The layout is the common subset CI servers read (Jenkins, GitLab, GitHub test reporters):
``testsuites > testsuite > testcase`` with ``failure`` (a failed ``fail`` gate), ``skipped``
(nothing to compare with) and ``system-out`` (a failed ``warn`` gate: reported, not failing).
Test cases are named by the gate's one-line form, under the class ``judge.<suite>.<system>``.
"""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from judge.errors import UserError
from judge.files import write_atomic
from judge.store.summary import GateCheck, GateVerdict

# What XML 1.0 does not allow in a document at all (ElementTree writes it as it is, and no
# parser reads the file back): C0 controls but tab and line breaks, lone surrogates, U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: object) -> str:
    """``text`` with every character XML forbids shown as its escape (``\\x1b``)."""
    return _NOT_XML.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        str(text),
    )


def _case(suite: str, result: GateVerdict, check: GateCheck | None) -> ET.Element:
    system = xml_text(check.system) if check is not None else None
    classname = f"judge.{xml_text(suite)}" + (f".{system}" if system else "")
    case = ET.Element("testcase", classname=classname, name=xml_text(result.gate), time="0")
    if check is None:
        failed, skipped, numbers = not result.passed, result.skipped, xml_text(result.detail)
    else:
        failed, skipped, numbers = not check.passed, check.skipped, xml_text(check.detail)
    subject = f"{system}: " if system else ""
    if skipped:
        ET.SubElement(case, "skipped", message=f"{subject}{numbers}")
    elif failed and result.severity == "fail":
        failure = ET.SubElement(
            case, "failure", message=f"{subject}{numbers}", type=f"judge.gate.{result.kind}"
        )
        failure.text = (
            f"gate: {xml_text(result.gate)}\n{subject}{numbers}\n{xml_text(result.detail)}"
        )
    elif failed:
        ET.SubElement(case, "system-out").text = f"warning (severity warn): {subject}{numbers}"
    return case


def junit_xml(
    *,
    suite: str,
    results: Sequence[GateVerdict],
    seconds: float = 0.0,
    timestamp: str | None = None,
    properties: Mapping[str, Any] | None = None,
) -> str:
    """The JUnit XML document for one suite's gate results."""
    cases = [_case(suite, r, c) for r in results for c in (r.checks or (None,))]
    failures = sum(1 for c in cases if c.find("failure") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    counts = {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
        "time": f"{seconds:.3f}",
    }
    root = ET.Element("testsuites", {"name": "judge", **counts})
    host = xml_text(socket.gethostname() or "localhost")
    attrs = {"name": xml_text(suite), **counts, "hostname": host}
    if timestamp:
        attrs["timestamp"] = timestamp
    testsuite = ET.SubElement(root, "testsuite", attrs)
    if properties:
        props = ET.SubElement(testsuite, "properties")
        for name, value in properties.items():
            if value is not None:
                ET.SubElement(props, "property", name=xml_text(name), value=xml_text(value))
    testsuite.extend(cases)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def write_junit(
    *,
    path: Path,
    suite: str,
    results: Sequence[GateVerdict],
    seconds: float = 0.0,
    timestamp: str | None = None,
    properties: Mapping[str, Any] | None = None,
) -> None:
    text = junit_xml(
        suite=suite, results=results, seconds=seconds, timestamp=timestamp, properties=properties
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text + "\n")
    except OSError as exc:
        raise UserError(
            f"cannot write the JUnit file: {exc.strerror or exc}; choose another --junit path",
            where=str(path),
        ) from None
