"""pg-auditor: audit a live PostgreSQL database and write the report a DBA attaches to a ticket."""

from auditor._version import __version__

# the Python API (auditor.api): one audit, and the pieces a scheduler's own fan-out needs for a fleet
__all__ = [
    "__version__",
    "audit",
    "audit_target",
    "fleet_exit_code",
    "load_targets",
    "write",
    "write_index",
]


def __getattr__(name: str):  # lazy, so `pg-auditor --version` does not import psycopg or SQLAlchemy
    if name in __all__:
        from auditor import api

        return getattr(api, name)
    raise AttributeError(f"module 'auditor' has no attribute {name!r}")
