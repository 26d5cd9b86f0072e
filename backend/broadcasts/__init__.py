"""Broadcast rules that need no database (the services live in backend.services)."""
