"""The production process model on one machine, for the scale-out test and benchmark:
gunicorn web servers, Celery workers and beat, on a real PostgreSQL, Redis and the Stripe
sandbox (started by the caller). Each process runs in a session of its own, so that
``kill`` takes a whole worker (its pool processes too), as losing a machine would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "sk_test_cluster"  # noqa: S105 - the sandbox accepts any sk_test_ key


def sandbox_post(base: str, path: str, form: dict[str, str]) -> dict:
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(  # noqa: S310 - the sandbox on 127.0.0.1
        base + path, data=data, method="POST", headers={"Authorization": f"Bearer {SECRET}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def sandbox_get(base: str, path: str) -> object:
    request = urllib.request.Request(  # noqa: S310 - the sandbox on 127.0.0.1
        base + path, headers={"Authorization": f"Bearer {SECRET}"})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.loads(response.read())


def saved_cards(base: str, n: int) -> list[tuple[str, str]]:
    """``n`` sandbox customers, each with a 4242 card attached (what a confirmed pledge
    leaves behind)."""
    def one(i: int) -> tuple[str, str]:
        customer = sandbox_post(base, "/v1/customers", {"email": f"c{i}@cluster.invalid"})["id"]
        method = sandbox_post(base, "/v1/payment_methods", {
            "type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12",
            "card[exp_year]": "2034", "card[cvc]": "123"})["id"]
        sandbox_post(base, f"/v1/payment_methods/{method}/attach", {"customer": customer})
        return customer, method

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(n)))


def charges_by_pledge(base: str, campaign_id: int,
                      amounts: bool = False) -> dict[str, list]:
    """Every PaymentIntent the sandbox made for the campaign: {pledge id: [statuses]}, or
    with ``amounts`` {pledge id: [(status, amount in minor units)]}."""
    found: dict[str, list] = {}
    after = None
    while True:
        query = "limit=100" + (f"&starting_after={after}" if after else "")
        page = sandbox_get(base, f"/v1/payment_intents?{query}")
        for intent in page["data"]:
            if intent["metadata"].get("campaign_id") == str(campaign_id):
                seen = (intent["status"], intent["amount"]) if amounts else intent["status"]
                found.setdefault(intent["metadata"]["pledge_id"], []).append(seen)
        if not page["has_more"] or not page["data"]:
            return found
        after = page["data"][-1]["id"]


def busiest_window(stamps: list[float], seconds: float = 5.0) -> int:
    """The most requests in any window of ``seconds`` (sliding: one starts at each)."""
    stamps = sorted(stamps)
    most, end = 0, 0
    for start, at in enumerate(stamps):
        while end < len(stamps) and stamps[end] < at + seconds:
            end += 1
        most = max(most, end - start)
    return most


class Cluster:
    """Named processes of the platform, sharing one environment (database, broker,
    gateway), each logging to ``<folder>/<name>.log``."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = {**os.environ, **env}
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], **env: str) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - kept by the process
        process = subprocess.Popen(  # noqa: S603 - our own programs
            [sys.executable, "-m", *argv], cwd=ROOT, env={**self.env, **env}, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = process
        return process

    def web(self, name: str, port: int, instance: Path, workers: int = 2) -> str:
        instance.mkdir(parents=True, exist_ok=True)
        self.start(name, ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                   GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS=str(workers),
                   INSTANCE_PATH=str(instance), UPLOAD_FOLDER=str(instance / "uploads"))
        url = f"http://127.0.0.1:{port}"
        self.wait_http(f"{url}/healthz", name)
        return url

    def worker(self, name: str, concurrency: int = 1) -> None:
        self.start(name, ["celery", "-A", "crowdfund.worker:celery", "worker", "-n",
                          f"{name}@%h", "-c", str(concurrency), "-Q", "crowdfund",
                          "--without-gossip", "--without-mingle", "-l", "INFO"],
                   INSTANCE_PATH=str(self.folder / name))

    def beat(self) -> None:
        self.start("beat", ["celery", "-A", "crowdfund.worker:celery", "beat", "-s",
                            str(self.folder / "beat-schedule"), "-l", "INFO"],
                   INSTANCE_PATH=str(self.folder / "beat"))

    def kill(self, name: str) -> None:
        """SIGKILL the process and everything it started: no goodbye, no cleanup."""
        process = self.processes.pop(name)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def stop(self) -> None:
        for name in list(self.processes):
            process = self.processes[name]
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 20
        for name, process in list(self.processes.items()):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill(name)
        self.processes.clear()

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_http(self, url: str, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited:\n{self.log(name)[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - 127.0.0.1
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{name} did not answer {url}:\n{self.log(name)[-3000:]}")
