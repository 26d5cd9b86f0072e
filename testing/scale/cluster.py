"""Real ``sanat backend`` and ``sanat bot`` processes, each with its own log file.

A process is started with its environment, waited for until it answers (a backend's
``/healthz``, a bot's webhook refusing a request without the secret), SIGKILLed, restarted
(appending to the same log) and stopped with SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientError, ClientSession, ClientTimeout

SANAT = Path(sys.executable).parent / "sanat"
STARTUP_SECONDS = 300.0  # imports on a busy shared 2-core machine took over 60 s


@dataclass
class SanatProcess:
    """One ``sanat <command>``; ``probe`` is the URL that answers once it is up."""

    name: str
    command: str  # "backend" or "bot"
    env: dict[str, str]
    probe: str
    log_path: Path
    cwd: Path
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    kills: int = 0
    cpu_seconds: float = 0.0  # of the processes that have ended
    exit_codes: list[int] = field(default_factory=list)

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                str(SANAT),
                self.command,
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=log,
            )
        self.starts += 1

    async def wait_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        async with ClientSession(timeout=ClientTimeout(total=5)) as client:
            while True:
                if self.process is not None and self.process.returncode is not None:
                    raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
                try:
                    method = client.get if self.command == "backend" else client.post
                    async with method(self.probe) as response:
                        if response.status in (200, 401):
                            return
                except (ClientError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name} did not come up in {timeout:g} s")
                await asyncio.sleep(0.2)

    def cpu_now(self) -> float:
        """CPU seconds (user + system) of the running process so far, from /proc."""
        if self.process is None or self.process.returncode is not None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def cpu_total(self) -> float:
        return self.cpu_seconds + self.cpu_now()

    async def kill(self) -> None:
        """SIGKILL: no chance to finish anything on the way out."""
        assert self.process is not None
        self.cpu_seconds += self.cpu_now()
        self.process.kill()
        self.exit_codes.append(await self.process.wait())
        self.kills += 1

    async def stop(self, timeout: float = 30.0) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.cpu_seconds += self.cpu_now()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.exit_codes.append(await asyncio.wait_for(self.process.wait(), timeout))
        except TimeoutError:
            self.process.kill()
            self.exit_codes.append(await self.process.wait())

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def base_env() -> dict[str, str]:
    """The environment without any SANAT_ variable of the caller's."""
    return {key: value for key, value in os.environ.items() if not key.startswith("SANAT_")}
