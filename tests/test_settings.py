"""Settings come from the environment; production refuses to start without its secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
LOAD_SETTINGS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)"
)


def load_settings(**environment: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEBUG", "SECRET_KEY", "ENCRYPTION_KEYS", "DATABASE_URL", "REDIS_URL")
    }
    env.update(environment, DJANGO_SETTINGS_MODULE="integration_manager.settings")
    return subprocess.run(
        [sys.executable, "-c", LOAD_SETTINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_its_secrets(missing):
    environment = {"SECRET_KEY": "x" * 60, "ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    del environment[missing]

    result = load_settings(DEBUG="0", **environment)

    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


def test_development_defaults_need_debug():
    result = load_settings(DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "embedded-fs://"]


def test_database_and_redis_urls_select_postgresql_and_redis():
    result = load_settings(
        DEBUG="1",
        DATABASE_URL="postgres://someone@db.example:5432/inventory",
        REDIS_URL="redis://cache.example:6379/0",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "redis://cache.example:6379/0",
    ]


def test_production_settings_pass_the_deploy_checks():
    environment = {
        key: value for key, value in os.environ.items() if key not in ("DEBUG", "REDIS_URL")
    }
    environment.update(
        DEBUG="0",
        SECRET_KEY=Fernet.generate_key().decode() * 2,
        ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="inventory.example.com",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
