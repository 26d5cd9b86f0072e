"""Pieces several features use: screens and show(), the main menu, shared callbacks, parsing."""
