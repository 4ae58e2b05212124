import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _start(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = _start(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_starts_with_a_secret_key():
    result = _start(DEBUG="false", SECRET_KEY="a-long-random-value-for-this-test")
    assert result.returncode == 0, result.stderr


def test_debug_runs_without_a_secret_key():
    result = _start(DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_deploy_check_is_clean_under_the_documented_production_environment():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in {"USE_HTTPS", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}},
            "DEBUG": "false",
            "SECRET_KEY": "x7Gq2-Vb9pL0sRt4Wm8Yz1Nc5Kd3Hf6Jh0Ae2Uo9Xi7Qw4Ey1Rs8Tt5Pp3Ll6Mm",
            "ALLOWED_HOSTS": "training.example.com",
            "SITE_URL": "https://training.example.com",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
