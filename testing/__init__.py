"""Test support shared by ``tests/`` and ``bench/``: the local Telegram Bot API server
(``testing.telegram``), ``MockedBot`` and real ``Update`` objects for the dispatcher, a chat
driver, real test databases (migrated templates, fresh PostgreSQL databases) and the broadcast
set-up that the reliability test and the broadcast benchmark share.

Nothing here is imported by ``sanat``, ``backend`` or ``bot``.
"""
