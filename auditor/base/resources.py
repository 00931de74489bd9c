"""Locate the SQL and template files, whether installed from a wheel or run from a checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # auditor/, from auditor/base/


def _find(installed: str, checkout: str) -> Path:
    # A wheel carries them inside the package; a checkout (or editable install) has them at the top.
    for candidate in (_PACKAGE / installed, _PACKAGE.parent / checkout):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"pg-auditor is installed without its {checkout}/ directory")


@cache
def queries_dir() -> Path:
    return _find("_queries", "queries")


@cache
def templates_dir() -> Path:
    return _find("_templates", "templates")


@cache
def schemas_dir() -> Path:
    return _find("_schemas", "schemas")


def read_query(name: str) -> str:
    """The text of queries/NAME.sql."""
    return (queries_dir() / f"{name}.sql").read_text(encoding="utf-8")
