"""docker/: the compose file, the nginx front and the image, read as files (CI validates the
compose file with ``docker compose config``; no Docker engine runs the tests)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from backend.delivery.worker import DEFAULT_LEASE
from backend.settings import BotSettings, WebSettings
from tests.test_settings import settings_variables

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
ONE_SHOT = {"migrate", "admin"}  # they run a command and exit


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    return compose


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, dict):
        return {key: str(value) for key, value in environment.items()}
    return dict(entry.split("=", 1) for entry in environment)


def test_compose_sets_only_known_variables() -> None:
    compose = _compose()
    used: set[str] = set()
    for service in compose["services"].values():
        used |= {key for key in _environment(service) if key.startswith("SANAT_")}
    assert used, "compose sets no SANAT_ variable at all"
    assert used - settings_variables() == set()
    assert {"backend", "bot", "migrate", "postgres", "redis", "proxy"} <= set(compose["services"])


def test_two_backends_and_three_webhook_bots_behind_the_proxy() -> None:
    services = _compose()["services"]
    assert services["backend"]["deploy"]["replicas"] == 2
    assert services["bot"]["deploy"]["replicas"] == 3
    bot = _environment(services["bot"])
    assert bot["SANAT_BOT_MODE"] == "webhook"
    assert bot["SANAT_BOT_WEBHOOK_HOST"] == "0.0.0.0"
    assert _environment(services["backend"])["SANAT_WEB_HOST"] == "0.0.0.0"
    for name in ("backend", "bot"):  # shared state: PostgreSQL and Redis, never a SQLite file
        environment = _environment(services[name])
        assert environment["SANAT_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert environment["SANAT_REDIS_URL"].startswith("redis://redis:")
        assert "ports" not in services[name]  # reached through the proxy only
    assert set(services["proxy"]["depends_on"]) == {"backend", "bot"}
    assert services["migrate"]["restart"] == "no"
    for name in ("migrate", "backend", "bot", "admin"):  # built, never pulled from a registry
        assert services[name]["image"] == "sanat:latest"
        assert services[name]["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}
    assert services["backend"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


def test_every_long_running_service_has_a_health_check_and_a_restart_policy() -> None:
    for name, service in _compose()["services"].items():
        if name in ONE_SHOT:
            assert service["restart"] == "no", name
            continue
        check = service.get("healthcheck", {})
        assert check.get("test"), name
        assert not check.get("disable"), name
        assert service["restart"] in {"unless-stopped", "always"}, name
    services = _compose()["services"]
    assert "8080/healthz" in " ".join(services["backend"]["healthcheck"]["test"])
    assert "8081/healthz" in " ".join(services["bot"]["healthcheck"]["test"])


def _seconds(duration: str) -> float:
    """A compose duration such as ``65s``, ``1m5s`` or ``1m``."""
    parts = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert parts is not None, duration
    return int(parts[1] or 0) * 60 + int(parts[2] or 0)


def test_a_backend_stopping_may_finish_storing_what_it_sent() -> None:
    """While the database fails, a stopping delivery worker retries a sent message's outcome
    until its claim's lease ends; killed sooner, that message would be sent twice."""
    grace = _seconds(_compose()["services"]["backend"]["stop_grace_period"])
    assert grace > DEFAULT_LEASE.total_seconds()


def _nginx_upstreams(conf: str) -> dict[str, list[str]]:
    blocks = re.findall(r"upstream (\w+) \{(.*?)\}", conf, re.S)
    return {name: re.findall(r"^\s*server (\S+)", body, re.M) for name, body in blocks}


def test_the_proxy_sends_the_webhook_to_the_bots_and_the_rest_to_the_backends() -> None:
    services = _compose()["services"]
    conf = (DOCKER / "nginx.conf").read_text()
    mounted = {volume.split(":")[0] for volume in services["proxy"]["volumes"]}
    assert "./nginx.conf" in mounted
    bot = _environment(services["bot"])
    upstreams = _nginx_upstreams(conf)
    assert upstreams["sanat_bots"] == [f"bot:{bot['SANAT_BOT_WEBHOOK_PORT']}"]
    assert upstreams["sanat_backends"] == [
        f"backend:{_environment(services['backend'])['SANAT_WEB_PORT']}"
    ]
    webhook = re.search(r"location = (\S+) \{\s*proxy_pass http://(\w+);", conf)
    assert webhook is not None
    assert webhook.groups() == (bot["SANAT_BOT_WEBHOOK_PATH"], "sanat_bots")
    assert re.search(r"location / \{\s*proxy_pass http://sanat_backends;", conf)
    # Round robin (nginx's default): no hash, ip_hash or least_conn in the bots' upstream.
    assert not re.search(r"\b(ip_hash|hash|least_conn|random)\b", conf)
    # The compose file's defaults agree with the settings' defaults the bots would use alone.
    assert bot["SANAT_BOT_WEBHOOK_PATH"] == BotSettings().webhook_path
    assert int(_environment(services["backend"])["SANAT_WEB_PORT"]) == WebSettings().port


def _stages(dockerfile: str) -> list[str]:
    return re.split(r"^FROM ", dockerfile, flags=re.M)[1:]


def test_dockerfile_is_multistage_non_root_and_compiles_translations() -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    stages = _stages(dockerfile)
    assert len(stages) >= 2
    runtime = stages[-1]
    assert re.search(r"^USER (?!root\b)\w+", runtime, re.M)
    assert "pybabel compile" in dockerfile
    assert "postgresql-client" in runtime  # pg_dump / pg_restore for sanat admin backup


def test_the_image_gets_everything_sanat_reads_at_run_time() -> None:
    """Migrations and catalogs beside the packages (PROJECT_ROOT), package data, and none of it
    left out by .dockerignore."""
    dockerfile = (DOCKER / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (?!--)(\S+)", dockerfile, re.M))
    assert {"sanat", "backend", "bot", "migrations", "locales", "pyproject.toml"} <= copied
    assert "pip install --no-deps -e ." in dockerfile  # in place: PROJECT_ROOT is /app
    assert "COPY --from=build /app /app" in dockerfile
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert not ignored & copied
    assert "locales/*/LC_MESSAGES/*.mo" in ignored  # compiled in the image, never a stale copy
    assert ".env" in ignored  # no secret in an image layer
