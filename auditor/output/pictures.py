"""The numbers behind the report's pictures, which the templates draw as inline SVG (the page stays one
self-contained file and reads with JavaScript off): the partition timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from auditor.engine.report import Report

WIDTH, LEFT, RIGHT = 640, 190, 16  # the SVG's viewBox width and the margins around the time axis
ROW = 26  # one set's row height
HISTORY = dt.timedelta(days=365)  # how far before the earliest end (or today) the axis reaches: a long past squeezes


def _day(text: Any) -> dt.date | None:
    """The date of a `when()` text (2026-09-01, 2026-09-01 12:00) or of an ISO timestamp; None otherwise."""
    if not isinstance(text, str) or len(text) < 10:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def partition_timeline(report: Report) -> dict[str, Any] | None:
    """One row per time-range partition set: the range its partitions cover, its gaps and today, placed on one
    axis (x in viewBox units). None when no set has a time range to draw."""
    today = _day(report.database.get("collected_at"))
    sets = (report.extras.get("partitions") or {}).get("sets") or []
    drawn = []
    for s in sets:
        until = _day(s.get("covered_until"))
        if until is None or today is None:
            continue
        start = _day(s.get("covered_from")) or min(until, today) - dt.timedelta(days=30)
        gaps = [(a, b) for a, b in ((_day(g[0]), _day(g[1])) for g in s.get("gaps") or []) if a and b]
        drawn.append((s, start, until, gaps))
    if not drawn or today is None:
        return None
    earliest_end = min(min(until for _, _, until, _ in drawn), today)
    lo = max(min(start for _, start, _, _ in drawn), earliest_end - HISTORY) - dt.timedelta(days=14)
    hi = max(max(until for _, _, until, _ in drawn), today + dt.timedelta(days=60)) + dt.timedelta(days=14)
    span = (hi - lo).days

    def x(d: dt.date) -> float:
        d = min(max(d, lo), hi)
        return round(LEFT + (d - lo).days / span * (WIDTH - LEFT - RIGHT), 1)

    rows = []
    for i, (s, start, until, gaps) in enumerate(drawn):
        runway = (until - today).days
        state = "poor" if runway <= 0 else ("fair" if runway < 30 else "good")
        rows.append(
            {
                "set": s["set"],
                "y": 8 + i * ROW,
                "x0": x(start),
                "x1": x(until),
                "gaps": [{"x0": x(a), "x1": x(b), "label": f"{a} to {b}"} for a, b in gaps],
                "state": state,
                "label": (
                    f"no partition since {until}" if runway <= 0 else f"covered until {until} ({runway} days ahead)"
                )
                + (f"; {s['default_rows']:,} rows in the default partition" if s.get("default_rows") else "")
                + (f"; {len(gaps)} gap{'s' if len(gaps) > 1 else ''}" if gaps else ""),
            }
        )
    return {
        "width": WIDTH,
        "height": 8 + len(rows) * ROW + 22,
        "left": LEFT,
        "today": {"x": x(today), "label": today.isoformat()},
        "start": {"x": x(lo), "label": lo.isoformat()},
        "end": {"x": x(hi), "label": hi.isoformat()},
        "rows": rows,
    }
