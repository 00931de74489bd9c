"""Partition checks (PAR): native partition health and pg_partman configuration.

Everything comes from catalogs and estimates (pg_get_expr bounds, reltuples, part_config rows): no check
calls a pg_partman function or scans a table. Findings roll up to the partitioned parent: one line per
set, with the partitions concerned listed in the evidence.

One rule per file, named `<code>_<slug>.py` (e.g. `par001_range_coverage_ended.py`) and holding the
rule, its documentation and what only it uses; `_shared.py` holds what two or more rules use,
`_populations.py` and `_context.py` what the scores and the report read beside the findings. Nothing
is imported here: discovery in `auditor.rules` imports every module of this package.
"""
