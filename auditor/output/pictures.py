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


GRAPH_ROWS = 40  # tables drawn per column; the rest are counted under it
BOX_W, BOX_H, GAP = 170, 15, 19  # a table's box, and the distance between two rows
COLUMNS = (8, 236, 462)  # x of the root, the tables that carry the tenant column, the tables that reach it


def tenant_graph(report: Report) -> dict[str, Any] | None:
    """The tenant root, the tables that carry its column, and the tables that reach one of them through a key,
    each coloured by its row-level security (forced, on, off); partitions are left to their parent. None
    without a root table (a schema per tenant, a per-user model, no tenant model)."""
    ten = report.extras.get("tenancy") or {}
    tables = ten.get("tables") or {}
    root = ten.get("root_table")
    if not root or root not in tables:
        return None
    direct = sorted(n for n, t in tables.items() if t.get("class") == "tenant" and "partition_of" not in t)
    reach = sorted(n for n, t in tables.items() if t.get("class") == "indirect" and "partition_of" not in t)
    if not direct and not reach:
        return None
    rows = max(min(len(direct), GRAPH_ROWS), min(len(reach), GRAPH_ROWS), 1)
    height = 16 + rows * GAP + 24

    def box(name: str, col: int, i: int) -> dict[str, Any]:
        t = tables[name]
        label = name if len(name) <= 28 else name[:27] + "…"
        return {"name": name, "label": label, "x": COLUMNS[col], "y": 16 + i * GAP, "rls": t.get("rls", "off")}

    root_box = box(root, 0, (rows - 1) // 2)
    left = [box(n, 1, i) for i, n in enumerate(direct[:GRAPH_ROWS])]
    right = [box(n, 2, i) for i, n in enumerate(reach[:GRAPH_ROWS])]
    at = {b["name"]: b for b in [root_box, *left]}
    edges = [_edge(root_box, b) for b in left]
    for b in right:
        via = tables[b["name"]].get("via") or []
        parent = via[0].split(" -> ", 1)[-1] if via else root
        edges.append(_edge(at.get(parent, root_box), b))
    more = [
        {"x": COLUMNS[col], "y": 16 + GRAPH_ROWS * GAP + 10, "text": f"and {len(names) - GRAPH_ROWS} more"}
        for col, names in ((1, direct), (2, reach))
        if len(names) > GRAPH_ROWS
    ]
    return {
        "width": COLUMNS[2] + BOX_W + 8,
        "height": height + (14 if more else 0),
        "box_w": BOX_W,
        "box_h": BOX_H,
        "boxes": [root_box, *left, *right],
        "edges": edges,
        "more": more,
        "heads": [
            {"x": COLUMNS[0], "text": "tenant root"},
            {"x": COLUMNS[1], "text": f"carry {ten.get('tenant_column') or 'the tenant column'}"},
            {"x": COLUMNS[2], "text": "reach it through a key"},
        ],
    }


def _edge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
    """A line from the right side of box a to the left side of box b."""
    return {"x1": a["x"] + BOX_W, "y1": a["y"] + BOX_H / 2, "x2": b["x"], "y2": b["y"] + BOX_H / 2}
