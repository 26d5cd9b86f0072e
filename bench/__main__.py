"""Run every benchmark and print its figures: ``python -m bench`` (or ``make bench``)."""

from bench import bot, broadcast, console, delivery, engine, hardening, pictures, sweep

engine.main()
pictures.main([])
bot.main(["--users", "60"])  # the SQLite store, one teacher at a time
bot.main(["--users", "60", "--concurrency", "10"])
delivery.main()
console.main([])
hardening.main()
broadcast.main([])  # 10 000 recipients at 100 msg/s on SQLite: about two minutes
try:
    sweep.main()
except OSError as error:  # the sweep benchmark needs a PostgreSQL server
    print(f"sweep: skipped, no PostgreSQL reachable ({error})")
