"""Pictures for people: the course timeline, the self-assessment result card, a broadcast's
reach chart; shared by the bot and the web console.

Each picture is a pure function of plain data (dates, counts, already translated strings) that
returns PNG bytes, with a ``draw_*`` twin returning the ``Canvas`` so tests can read what was
drawn. Drawing takes tens of milliseconds of CPU: callers on the event loop run it in a worker
thread (``asyncio.to_thread``). matplotlib is imported on first use, not with this package.
"""
