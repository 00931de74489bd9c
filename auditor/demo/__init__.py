"""Bundled sample schema for `pg-auditor demo`."""
