"""Run every benchmark and print its figures."""

from bench import engine

engine.main()
