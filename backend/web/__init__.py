"""The backend's HTTP API (aiohttp)."""
