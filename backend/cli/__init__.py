"""``sanat admin …``: thin command-line adapters over the backend services.

``common`` holds what every command shares (settings, one event loop per command, exit codes);
``admin`` builds the ``sanat admin`` parser from ``tokens`` commands plus ``curator`` and
``staff``, which import ``common`` only, so no module here imports another in a circle.
"""
