"""Roster files (CSV, XLSX) into validated rows: pure CPU work with no database, no app.

Kept out of ``backend.staff`` (whose package imports the database layer) so the worker process
that parses uploads imports this package, openpyxl and the standard library only.
"""
