"""Real background machinery for tests: the in-process Celery app pointed at a broker, a private
redis-server that a test may stop and start, and Celery worker subprocesses it may kill."""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import redis
from django.conf import settings as django_settings
from django.db import connection

from tests.conftest import require_service
from tests.helpers import free_port

BASE_DIR = Path(django_settings.BASE_DIR)


def wait_for(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _drop_producer_connections(app) -> None:
    """The app keeps a pool of broker connections for the URL it first used: forget it. So does
    kombu, per URL, process-wide: a second test on the same URL would get the first one's closed pool."""
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.__dict__.get("amqp") and setattr(app.amqp, "_producer_pool", None)
    pools.reset()


@contextmanager
def use_broker(settings, url: str):
    """Tasks enqueued in this process go to `url` instead of running in-process."""
    from config.celery import app

    # Namespaced keys: with config_from_object(namespace="CELERY") celery 5.6 ignores plain ones.
    keys = {"CELERY_BROKER_URL": "broker_url", "CELERY_TASK_ALWAYS_EAGER": "task_always_eager"}
    keys["CELERY_RESULT_BACKEND"] = "result_backend"
    saved = {key: app.conf[name] for key, name in keys.items()}
    _drop_producer_connections(app)
    app.conf.update(CELERY_BROKER_URL=url, CELERY_TASK_ALWAYS_EAGER=False, CELERY_RESULT_BACKEND=None)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        yield app
    finally:
        _drop_producer_connections(app)
        app.conf.update(saved)


class PrivateRedis:
    """A redis-server of this test's own on a free port, which the test may stop and start again.
    Persistence goes to its own folder, so messages survive a restart as in production."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
            + ["--save", "", "--appendonly", "no", "--logfile", str(self.folder / "redis.log")],
        )
        wait_for(self.ping, timeout=10, what=f"redis-server on port {self.port}")

    def ping(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """SHUTDOWN SAVE: the queues are on disk for the next start, like a production restart."""
        if self.process and self.process.poll() is None:
            try:
                redis.Redis(port=self.port).shutdown(save=True)
            except redis.ConnectionError:
                pass  # it answers by closing the connection
            self.process.wait(timeout=10)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@contextmanager
def private_redis(tmp_path):
    require_service("redis-server", bool(shutil.which("redis-server")), "apt-get install redis-server")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def database_url() -> str:
    """The test database, for a worker subprocess."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A config worker` in a subprocess (prefork, one child), on the test database."""

    def __init__(self, broker: str, log: Path, **env):
        self.broker = broker
        self.log_path = log
        self.env = {key: str(value) for key, value in env.items()}
        self.process = None

    def start(self) -> "Worker":
        env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "REDIS_URL"))}
        env.update(
            PYTHONPATH=str(BASE_DIR),
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=database_url(),
            CELERY_BROKER_URL=self.broker,
            **self.env,
        )
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "prefork", "-c", "1"]
        command += ["-n", f"test-{uuid.uuid4().hex[:8]}@%h", "--without-gossip", "--without-mingle", "-l", "INFO"]
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: b" ready." in self.log_path.read_bytes() or self.process.poll() is not None, timeout=30)
        assert self.process.poll() is None, self.output()
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill_child(self) -> int:
        (child,) = self.children()
        os.kill(child, signal.SIGKILL)
        return child

    def wait(self, predicate, *, timeout: float, what: str):
        """wait_for, failing at once (with the worker's log) if the worker exits meanwhile."""
        try:
            value = wait_for(lambda: predicate() or not self.alive(), timeout=timeout, what=what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; worker log:\n{self.output()[-4000:]}") from None
        assert self.alive(), f"the worker exited while waiting for {what}; its log:\n{self.output()[-4000:]}"
        return value

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None:
            return
        children = self.children() if self.alive() else []
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for child in children:  # a killed main process leaves its children behind
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.log.close()

    def kill(self) -> None:
        """SIGKILL the whole worker, main process and children, as a crash or OOM kill would."""
        children = self.children()
        self.process.kill()
        self.process.wait(timeout=10)
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
