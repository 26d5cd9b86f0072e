"""The ``sanat`` command: the composition root that wires the backend and the bot."""
