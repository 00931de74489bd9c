"""Health checks (HLT): the operational facts a DBA reads in pghero or check_postgres: heap bloat,
autovacuum falling behind, transaction ID wraparound, sessions and slots holding the xmin horizon back,
and the cache hit ratio.

They describe the database's state (statistics, ages, sessions) rather than its schema, so they are an
area of their own, scored and reported beside the others. One rule per file, named `<code>_<slug>.py`
(e.g. `hlt001_heap_bloat.py`); `_shared.py` holds what two or more rules use. Nothing is imported here:
discovery in `auditor.rules` imports every module of this package.
"""
