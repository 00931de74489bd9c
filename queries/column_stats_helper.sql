-- column_stats through the SECURITY DEFINER helper of docs/setup-role.sql (all columns, same shape; the
-- helper does not say whether a negative value was seen: unknown, so CON007 judges by names alone).
SELECT
    s.schema::text AS schema,
    s.table::text AS table,
    s.column::text AS column,
    s.null_frac::float8 AS null_frac,
    s.n_distinct::float8 AS n_distinct,
    s.common_values AS common_values,
    s.top_frequency::float8 AS top_frequency,
    NULL::bool AS negative_seen
FROM pgauditor.column_stats() s
ORDER BY 1, 2, 3;
