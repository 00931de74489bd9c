"""pg-auditor: audit a live PostgreSQL database and write the report a DBA attaches to a ticket."""

__version__ = "0.1.0"
