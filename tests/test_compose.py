from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.test_settings import settings_variables

ROOT = Path(__file__).resolve().parent.parent


def test_compose_sets_only_known_variables() -> None:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    used: set[str] = set()
    for service in compose["services"].values():
        environment = service.get("environment", {})
        keys = (
            environment.keys()
            if isinstance(environment, dict)
            else [e.split("=")[0] for e in environment]
        )
        used |= {key for key in keys if key.startswith("SANAT_")}
    assert used, "compose sets no SANAT_ variable at all"
    assert used - settings_variables() == set()
    assert {"backend", "bot", "migrate", "postgres", "redis"} <= set(compose["services"])


def test_dockerfile_is_multistage_non_root_and_compiles_translations() -> None:
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert "pybabel compile" in dockerfile
