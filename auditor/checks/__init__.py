"""The checks, one module per area; importing this package registers every rule."""

from auditor.checks import constraints, indexes, isolation, isolation_score, partitions  # noqa: F401
