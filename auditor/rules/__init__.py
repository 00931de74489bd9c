"""The rules, one file per rule under one package per area; `load_all` discovers and registers them.

Discovery imports every module below this package, so a new rule is one new file: nothing else is
edited. Rule modules import only `auditor.rules.registry`, their area's `_shared` and the layers below
(analysis, catalog, base); this package's own namespace imports nothing at import time.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from auditor.rules.registry import RULES, Rule


@cache
def _import_every_module() -> None:
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        importlib.import_module(info.name)


def load_all() -> dict[str, Rule]:
    """Every rule, registered by importing its module, sorted by code."""
    _import_every_module()
    return dict(sorted(RULES.items()))


def find_rule(code_or_slug: str) -> Rule | None:
    rules = load_all()
    key = code_or_slug.strip()
    return rules.get(key.upper()) or next((r for r in rules.values() if r.slug == key.lower()), None)
