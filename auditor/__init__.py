"""pg-auditor: audit a live PostgreSQL database and write the report a DBA attaches to a ticket."""

from auditor._version import __version__

__all__ = ["__version__", "audit", "write"]


def __getattr__(name: str):  # lazy, so `pg-auditor --version` does not import psycopg or SQLAlchemy
    if name in ("audit", "write"):
        from auditor import api

        return getattr(api, name)
    raise AttributeError(f"module 'auditor' has no attribute {name!r}")
