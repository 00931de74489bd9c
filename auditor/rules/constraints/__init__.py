"""Constraint rules (CON): keys, references, domains of values, types and key capacity.

Everything here is judged from the catalog snapshot (plus pg_stats values where readable): no rule
reads user rows. Partitions are judged through their root, since keys, foreign keys and triggers
declared on a partitioned table are cloned onto every partition.

One rule per file, named `con<NNN>_<slug>.py` after its code and slug, holding the check (named
after its slug), its documentation and the helpers only it uses. What several rules use lives in
`_shared.py`; the area's report context in `_context.py`. Discovery (`auditor.rules.load_all`)
imports every module here, so this file imports nothing.
"""
