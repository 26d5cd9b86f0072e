"""Run every benchmark and print its figures: ``python -m bench`` (or ``make bench``)."""

import asyncio
import importlib

from bench import bot, engine

engine.main()
asyncio.run(bot.main_async(users=60))
for optional in ("bench.delivery", "bench.sweep"):
    try:
        module = importlib.import_module(optional)
    except ModuleNotFoundError:
        continue
    module.main()
