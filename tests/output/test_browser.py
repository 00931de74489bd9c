"""The HTML report in a real browser: Debian's Chromium driven by Playwright (no browser download).

Skips cleanly when Chromium or Playwright is missing, unless PG_AUDITOR_REQUIRE_BROWSER=1 (CI sets
it), which turns the skip into a failure. Set PG_AUDITOR_SCREENSHOT_DIR to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from auditor.output.render import render

from reports import NASTY_TABLE, frozen

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    for candidate in (os.environ.get("PG_AUDITOR_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("PG_AUDITOR_REQUIRE_BROWSER") == "1":
        pytest.fail(f"PG_AUDITOR_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    path = _chromium()
    if path is None:
        _unavailable("no Chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("no Playwright (pip install playwright; no browser download needed)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def report_file(tmp_path):
    path = tmp_path / "report.html"
    path.write_text(render(frozen(), "html"), encoding="utf-8")
    return path


def open_page(browser, path: Path, js: bool = True):
    context = browser.new_context(java_script_enabled=js, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems, requests


def shot(page, name: str, tmp_path: Path, full: bool = True) -> Path:
    folder = Path(os.environ.get("PG_AUDITOR_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / name
    page.screenshot(path=str(out), full_page=full)
    return out


def visible_codes(page) -> list[str]:
    return page.eval_on_selector_all(
        "#findings tbody.f", "rows => rows.filter(r => !r.hidden).map(r => r.dataset.code)"
    )


def test_screenshot_and_no_errors_or_requests(browser, report_file, tmp_path):
    page, problems, requests = open_page(browser, report_file)
    out = shot(page, "report.png", tmp_path)
    assert out.stat().st_size > 50_000
    assert problems == []  # a CSP hash mismatch would show here as a refused script
    assert requests == [report_file.as_uri()]  # self-contained: nothing else is fetched
    assert page.is_visible("#controls")
    assert page.text_content("#f-count") == "Showing 25 of 25 findings"
    page.context.close()


def test_filter_and_sort(browser, report_file, tmp_path):
    page, problems, _ = open_page(browser, report_file)
    page.select_option("#f-area", "indexes")
    assert set(visible_codes(page)) == {"IDX001", "IDX002"}
    assert page.text_content("#f-count") == "Showing 3 of 25 findings"
    page.uncheck("input[name=sev][value=low]")
    assert visible_codes(page) == ["IDX001", "IDX002"]
    page.click("#f-reset")
    assert len(visible_codes(page)) == 25
    page.select_option("#f-table", "public.line_items")
    assert sorted(visible_codes(page)) == ["CON003", "IDX001"]
    page.select_option("#f-table", "")
    page.check("#f-new")
    assert sorted(visible_codes(page)) == ["CON001", "HLT001", "HLT002", "IDX001", "ISO001", "ISO001", "PAR002"]
    page.uncheck("#f-new")
    page.fill("#f-text", "partition_data_proc")  # searches the fix SQL too
    assert visible_codes(page) == ["PAR002"]
    page.fill("#f-text", "")
    page.click("th[data-sort=severity] button")
    ranks = page.eval_on_selector_all("#findings tbody.f", "rows => rows.map(r => Number(r.dataset.rank))")
    assert ranks == sorted(ranks, reverse=True)
    assert page.get_attribute("th[data-sort=severity]", "aria-sort") == "ascending"
    page.click("th[data-sort=table] button")
    tables = page.eval_on_selector_all("#findings tbody.f", "rows => rows.map(r => r.dataset.table)")
    assert tables == sorted(tables, key=lambda t: t or "\uffff")
    # The area cards filter too.
    page.click("[data-filter-area=partitions]")
    assert visible_codes(page) == ["PAR002"]
    page.click("[data-filter-area=health]")  # the fifth area filters like the others
    assert sorted(visible_codes(page)) == ["HLT001", "HLT002"]
    shot(page, "report-filtered.png", tmp_path, full=False)
    assert problems == []
    page.context.close()


def test_reads_with_javascript_off(browser, report_file, tmp_path):
    page, _, _ = open_page(browser, report_file, js=False)
    assert not page.is_visible("#controls")  # controls need JS and stay out of the way
    assert len(visible_codes(page)) == 25
    assert page.locator("button.copy").count() == 0
    # critical and high findings show their evidence and fix without a click
    critical = page.locator("tbody.f[data-severity=critical] details").first
    assert critical.get_attribute("open") is not None
    assert page.is_visible("text=ALTER TABLE public.invoices ENABLE ROW LEVEL SECURITY;")
    shot(page, "report-nojs.png", tmp_path)
    page.context.close()


def test_hostile_names_render_as_text(browser, tmp_path):
    report = frozen()
    report.database["name"] = "<script>alert(2)</script>"
    report.findings[0].message = "</td></tr><img src=y onerror=alert(3)>"
    path = tmp_path / "hostile.html"
    path.write_text(render(report, "html"), encoding="utf-8")
    page, problems, _ = open_page(browser, path)
    assert page.locator("img").count() == 0
    assert page.locator("#findings script, header script").count() == 0
    assert NASTY_TABLE in page.text_content("#findings")
    assert "<script>alert(2)</script>" in page.text_content("h1")
    options = page.eval_on_selector_all("#f-table option", "os => os.map(o => o.textContent)")
    assert f'public."{NASTY_TABLE}"' in options  # island -> textContent, never markup
    assert not [p for p in problems if p.startswith("dialog")]
    page.context.close()


def test_filters_live_in_the_url(browser, report_file, tmp_path):
    """A filtered view can be linked: the filters go into the URL's hash, and a page opened with them shows
    the same findings."""
    page, problems, _ = open_page(browser, report_file)
    page.select_option("#f-area", "indexes")
    page.uncheck("input[name=sev][value=low]")
    url = page.url
    assert "#filter?" in url and "area=indexes" in url
    shown = visible_codes(page)
    page.context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    again = context.new_page()
    again.goto(url)
    again.wait_for_load_state("load")
    assert visible_codes(again) == shown
    assert again.input_value("#f-area") == "indexes" and not again.is_checked("input[name=sev][value=low]")
    assert problems == []
    context.close()


def test_reads_on_a_phone(browser, report_file, tmp_path):
    """At 390 px the findings reflow into cards and the controls wrap: nothing scrolls sideways but a code
    block or a wide table inside its own box."""
    for js in (True, False):
        context = browser.new_context(java_script_enabled=js, viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(report_file.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"scrolls sideways (js={js})"
        card = page.locator("#findings tbody.f").first.bounding_box()
        assert card is not None and card["width"] <= 390
        shot(page, f"report-phone{'' if js else '-nojs'}.png", tmp_path, full=False)
        context.close()


def test_prints(browser, report_file, tmp_path):
    page, problems, _ = open_page(browser, report_file)
    page.emulate_media(media="print")
    assert not page.is_visible("#controls")
    # a ticket's PDF: the summary and the top findings first; evidence of critical and high findings (and of any
    # the reader opened), not of every low one, so no page is left near-empty by a block pushed to the next
    order = page.evaluate("[...document.querySelectorAll('main > section[id]')].map(s => s.id)")
    assert order.index("top") < order.index("findings-section")
    assert "tenancy" not in order or order.index("top") < order.index("tenancy")
    assert not page.is_visible("section.charts")
    assert page.locator("tbody.f[data-severity=critical] dl.evidence").first.is_visible()
    low = page.locator("tbody.f[data-severity=low] details")
    assert low.count() and not low.first.locator("dl.evidence, pre.sql").first.is_visible()
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4")
    assert pdf.stat().st_size > 20_000
    assert problems == []
    page.context.close()
