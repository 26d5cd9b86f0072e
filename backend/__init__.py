"""Sanat backend: domain, persistence, rules engine, HTTP API and scheduler."""

__version__ = "0.1.0"
