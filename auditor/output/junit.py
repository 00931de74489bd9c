"""JUnit XML for CI dashboards (GitLab test reports, Jenkins, GitHub test-report actions).

One <testsuite> per area; one <testcase> per finding (classname = rule code, name = object, unique
so GitLab keeps them all) and one per rule without findings. A finding at or above --fail-on that a
baseline does not accept is a <failure>; lighter, known or suppressed ones pass with the finding in
<system-out>; skipped and not-evaluated rules are <skipped>; rules that crashed are <error>.
The text is what a person reads in the dashboard: the evidence as lines (evidence.evidence_text, never
a Python repr), the whole fix, and the rule's documentation page.
Built with ElementTree, with characters XML 1.0 forbids replaced, never by string templates.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from auditor.engine.report import Finding, Report
from auditor.output.evidence import evidence_text, whole_fix
from auditor.output.text import strip_controls
from auditor.output.view import doc_url
from auditor.rules.registry import SEVERITY_RANK

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value: object) -> str:
    """Text a CI dashboard shows: controls and bidi overrides visible, nothing XML 1.0 forbids."""

    return _XML_INVALID.sub(lambda m: f"\\u{ord(m.group()):04x}", strip_controls(str(value)))


def _fails(f: Finding, fail_on: str) -> bool:
    if fail_on == "never" or f.suppressed or f.state == "known":
        return False
    return f.rank >= SEVERITY_RANK[fail_on]


def _details(f: Finding) -> str:
    lines = [f"{f.severity} {f.code} {f.title}", f"object: {f.obj.display}", f"message: {f.message}"]
    lines += evidence_text(f)
    if f.state:
        lines.append(f"baseline: {f.state}")
    if f.suppressed:
        lines.append(f"suppressed: {f.suppressed}")
    fix = whole_fix(f)
    if fix:
        lines += ["fix:", fix]
    lines.append(f"documentation: {doc_url(f.code)}")
    return "\n".join(lines)


def to_junit(report: Report, fail_on: str = "high") -> str:
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_rule[f.code].append(f)
    root = ET.Element("testsuites", name=xml_text(f"pg-auditor {report.database.get('name') or ''}".strip()))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    areas = sorted({s.area for s in report.statuses})
    for area in areas:
        suite = ET.SubElement(root, "testsuite", name=f"pg-auditor.{area}")
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for s in sorted((s for s in report.statuses if s.area == area), key=lambda s: s.code):
            found = by_rule.get(s.code, [])
            if s.status in ("error", "skipped", "not_evaluated") or not found:
                case = ET.SubElement(suite, "testcase", classname=s.code, name=xml_text(f"{s.code} {s.slug}"))
                counts["tests"] += 1
                if s.status == "error":
                    ET.SubElement(case, "error", message=xml_text(s.reason or "error"), type="error")
                    counts["errors"] += 1
                elif s.status in ("skipped", "not_evaluated"):
                    reason = f"{s.status.replace('_', ' ')}: {s.reason or ''}"
                    ET.SubElement(case, "skipped", message=xml_text(reason))
                    counts["skipped"] += 1
                continue
            for f in found:
                case = ET.SubElement(
                    suite, "testcase", classname=f.code, name=xml_text(f"{f.obj.display} [{f.fingerprint}]")
                )
                counts["tests"] += 1
                if _fails(f, fail_on):
                    fail = ET.SubElement(case, "failure", message=xml_text(f.message), type=f.severity)
                    fail.text = xml_text(_details(f))
                    counts["failures"] += 1
                else:
                    ET.SubElement(case, "system-out").text = xml_text(_details(f))
        for k, n in counts.items():
            suite.set(k, str(n))
            totals[k] += n
    for k, n in totals.items():
        root.set(k, str(n))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
