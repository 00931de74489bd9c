-- pg_cron jobs (this role sees its own jobs unless it is a superuser). Read as JSON across pg_cron versions.
SELECT to_jsonb(j) AS job
FROM cron.job j
ORDER BY j.jobid;
