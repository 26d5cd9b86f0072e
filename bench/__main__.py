"""Run every benchmark and print its figures: ``python -m bench`` (or ``make bench``)."""

import asyncio

from bench import bot, broadcast, console, delivery, engine, hardening, pictures, sweep

engine.main()
pictures.main([])
asyncio.run(bot.main_async(users=60))
delivery.main()
console.main([])
hardening.main()
broadcast.main([])  # 10 000 recipients at 100 msg/s on SQLite: about two minutes
try:
    sweep.main()
except OSError as error:  # the sweep benchmark needs a PostgreSQL server
    print(f"sweep: skipped, no PostgreSQL reachable ({error})")
