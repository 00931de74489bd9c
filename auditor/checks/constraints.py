"""Constraint checks (CON): keys, references, domains of values, types."""

from __future__ import annotations
