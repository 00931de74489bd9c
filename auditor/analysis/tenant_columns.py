"""The column names that carry the tenant: read by the tenant model and by reference resolution alike."""

from __future__ import annotations

from auditor.base.thresholds import threshold

TENANT_COLUMNS = threshold(
    "tenant_columns",
    ["tenant_id", "org_id", "organization_id", "account_id", "workspace_id", "team_id", "company_id", "tenant"],
    "column names that carry the tenant, strongest first (configuration beats detection)",
)
