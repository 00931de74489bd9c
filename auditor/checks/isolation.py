"""Multi-tenant isolation checks (ISO): tenant model, RLS, roles and paths around it."""

from __future__ import annotations
