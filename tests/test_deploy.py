"""The deploy files describe the process model the README draws, with commands that exist:
compose.yaml (two web, two workers, exactly one beat, PostgreSQL, Redis, a migration step),
the Procfile, and the Dockerfile (the source tree as deployed)."""

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]


def _command(service: dict) -> list[str]:
    command = service.get("command")
    return shlex.split(command) if isinstance(command, str) else list(command or [])


def test_compose_runs_two_web_two_workers_one_beat_on_postgres_and_redis():
    services = _compose()
    roles = {"web": [], "worker": [], "beat": []}
    for name, service in services.items():
        command = _command(service)
        if not command and service.get("build"):
            roles["web"].append(name)  # the image's default command: gunicorn
        elif command[:1] == ["celery"]:
            roles[command[3]].append(name)
    assert len(roles["web"]) == 2 and len(roles["worker"]) == 2 and len(roles["beat"]) == 1
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert _command(services["migrate"]) == ["flask", "db", "upgrade"]
    for name in roles["web"] + roles["worker"] + roles["beat"]:
        env = services[name]["environment"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:")
        assert env["DATABASE_URL"].startswith("postgresql://") and "@db/" in env["DATABASE_URL"]
        assert env["UPLOAD_STORAGE"] == "database"  # every web server sees every upload
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully")
    # Workers have their own node names (two on one host must not share one).
    names = [_command(services[n])[_command(services[n]).index("-n") + 1] for n in roles["worker"]]
    assert len(set(names)) == 2


def test_procfile_names_web_worker_and_beat():
    lines = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines()
                 if line and not line.startswith("#"))
    assert {"web", "worker", "beat", "release"} <= set(lines)
    assert "gunicorn -c gunicorn.conf.py" in lines["web"] and "wsgi:app" in lines["web"]
    assert "crowdfund.worker:celery worker" in lines["worker"]
    assert "crowdfund.worker:celery beat" in lines["beat"]
    assert "db upgrade" in lines["release"]


def test_the_image_holds_the_source_tree_as_it_is_laid_out():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for part in ("crowdfund", "templates", "static", "migrations"):
        assert f"COPY {part} ./{part}" in dockerfile
    assert "wsgi.py gunicorn.conf.py" in dockerfile
    assert "USER crowdfund" in dockerfile  # not root
    # The production dependencies only: no extra (neither the sandbox nor the test tools).
    installs = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert installs and not any("[" in line for line in installs)


def test_the_sandbox_and_the_test_tools_are_extras_never_production_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    production = {re.split(r"[\[=<>~ ;]", spec)[0].lower() for spec in project["dependencies"]}
    assert not production & {"localstripe", "aiohttp", "pytest"}
    assert {"packaging", "celery", "gunicorn"} <= production  # what the processes import
    extras = project["optional-dependencies"]
    assert any(spec.startswith("localstripe==") for spec in extras["sandbox"])
    assert "crowdfund[sandbox]" in extras["dev"]  # the suite starts the sandbox
    assert "-e '.[sandbox,dev]'" in (ROOT / "Makefile").read_text()  # make run and make test


def test_the_celery_entry_point_loads_and_refuses_to_run_without_a_broker(tmp_path):
    env = {**os.environ, "CROWDFUND_ENV": "production", "SECRET_KEY": "x" * 40,
           "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", "INSTANCE_PATH": str(tmp_path),
           "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_PUBLISHABLE_KEY": "pk_test_x",
           "STRIPE_WEBHOOK_SECRET": "whsec_x", "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}
    probe = ("from crowdfund.worker import celery; "
             "print(sorted(t for t in celery.tasks if t.startswith('crowdfund.'))); "
             "print(celery.conf.task_acks_late, celery.conf.task_reject_on_worker_lost, "
             "celery.conf.worker_prefetch_multiplier, sorted(celery.conf.beat_schedule))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    tasks, settings = done.stdout.strip().splitlines()
    assert tasks == "['crowdfund.periodic', 'crowdfund.run_job']"
    assert settings == ("True True 1 ['jobs pass', 'reconcile with gateway', 'send email', "
                        "'settle pass', 'sweep']")
    env.pop("CELERY_BROKER_URL")
    refused = subprocess.run([sys.executable, "-c", "import crowdfund.worker"], cwd=ROOT,  # noqa: S603
                             env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "CELERY_BROKER_URL is not set" in refused.stderr
