"""Multi-tenant isolation rules (ISO): RLS on and forced, policies, roles, structure, and the paths around RLS.

One file per rule, `iso<NNN>_<slug>.py`, whose function is named after the slug. `_shared.py` holds
what several rules read: the tenant-model guard, policy and fix builders, the grouping of many
similar findings, and the tenancy context of the report. Discovery (auditor.rules) imports them all.
"""
