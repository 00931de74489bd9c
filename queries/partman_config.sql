-- pg_partman's configuration read as JSON, so 4.x and 5.x columns load alike. {schema} is pg_partman's schema.
SELECT 'part_config' AS source, to_jsonb(c) AS config
FROM {schema}.part_config c
UNION ALL
SELECT 'part_config_sub' AS source, to_jsonb(s) AS config
FROM {schema}.part_config_sub s
ORDER BY 1, 2;
