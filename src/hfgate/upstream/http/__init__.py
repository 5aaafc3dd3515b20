"""Plumbing every upstream call shares: the pooled transport, rate limits, retries, error translation."""
