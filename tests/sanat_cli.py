"""The ``sanat`` command as people run it, in the test process or as the installed script.

In-process runs call ``sanat.cli.main(argv)`` with the environment, stdin, stdout and stderr of
a fresh shell: no ``SANAT_*`` variable but the ones given, the working directory a temporary
folder (so no developer's ``.env`` is read), and the root logger put back afterwards (the
command configures logging for its process). A Python start-up and import per command made the
CLI tests take 30 s; one ``subprocess`` run per command group still checks the console script.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sanat.cli import main
from testing.databases import sqlite_url

SANAT = Path(sys.executable).parent / "sanat"
# configure_logging sets these besides the root logger
_CONFIGURED_LOGGERS = ("aiohttp.access", "alembic.runtime.migration")


@dataclass(frozen=True)
class Result:
    """What a shell sees of a finished command."""

    returncode: int
    stdout: str
    stderr: str


class SanatCli:
    """``sanat_cli("admin", "token", "list")`` runs ``sanat admin token list`` in-process;
    ``sanat_cli.subprocess(...)`` runs the installed script. Both see ``env``: the database is
    ``database`` (a SQLite file, not yet created) unless a test overrides it.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
        self._monkeypatch = monkeypatch
        self.folder = folder
        self.database = folder / "var" / "sanat.db"
        self.env: dict[str, str] = {"SANAT_DATABASE_URL": sqlite_url(self.database)}

    def __call__(
        self, *argv: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        out, err = io.StringIO(), io.StringIO()
        with (
            self._monkeypatch.context() as patch,
            _logging_restored(),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            for name in os.environ:
                if name.startswith("SANAT_"):
                    patch.delenv(name)
            for name, value in (self.env | (env or {})).items():
                patch.setenv(name, value)
            patch.setattr(sys, "stdin", io.StringIO(stdin or ""))
            patch.chdir(self.folder)
            returncode = _exit_code(argv)
        return Result(returncode, out.getvalue(), err.getvalue())

    def subprocess(self, *argv: str, stdin: str | None = None) -> Result:
        """The installed ``sanat`` script in its own process, same environment and folder."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SANAT_")} | self.env
        done = subprocess.run(
            [str(SANAT), *argv],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=self.folder,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)


def _exit_code(argv: tuple[str, ...]) -> int:
    """``main``'s return value, or the status ``sys.exit`` would give (argparse exits on
    ``--help`` and on bad arguments)."""
    try:
        return main(list(argv))
    except SystemExit as exit_:
        if exit_.code is None:
            return 0
        if isinstance(exit_.code, int):
            return exit_.code
        print(exit_.code, file=sys.stderr)
        return 1


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in _CONFIGURED_LOGGERS}
    try:
        yield
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, saved in levels.items():
            logging.getLogger(name).setLevel(saved)
