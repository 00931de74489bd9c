"""Partition checks (PAR): native partition health and pg_partman configuration."""

from __future__ import annotations
