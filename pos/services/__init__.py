"""Business operations: plain functions that take who acts, flush, never commit."""
