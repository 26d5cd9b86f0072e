"""Organisations' staff: roster file parsing and the weekly digest (no database access here)."""
