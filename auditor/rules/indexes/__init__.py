"""Index checks (IDX): foreign keys without an index, duplicate, redundant, invalid and unused indexes,
sequential-scan-heavy tables, bloat, and indexes of the wrong kind or shape for their data.

One rule per file, named `<code>_<slug>.py` (e.g. `idx001_unindexed_foreign_key.py`) and holding the
rule, its documentation and what only it uses; `_shared.py` holds what two or more rules use. Nothing
is imported here: discovery in `auditor.rules` imports every module of this package.
"""
