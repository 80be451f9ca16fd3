"""Starts a real `waggle serve` per backend and hands thehive4py clients to the tests.

Each test module gets a fresh server with its own database: a temp-dir SQLite file, or a new
PostgreSQL database created with `createdb` (dropped afterwards). Where PostgreSQL cannot be
reached the PostgreSQL variants are skipped with a loud message, except under CI=true where
that is a failure.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import requests
from thehive4py import TheHiveApi

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADMIN = "admin@thehive.local"
ADMIN_PASSWORD = "secret"
PG_HOST = os.environ.get("WAGGLE_TEST_PG_HOST", "127.0.0.1")


def waggle_binary():
    path = os.environ.get("WAGGLE_BIN", os.path.join(ROOT, "target", "debug", "waggle"))
    if not os.path.exists(path):
        pytest.fail(f"waggle binary not found at {path}; build it with `cargo build` first")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_available():
    try:
        with socket.create_connection((PG_HOST, 5432), timeout=2):
            return True
    except OSError:
        return False


class Server:
    def __init__(self, backend):
        self.backend = backend
        self.dir = tempfile.mkdtemp(prefix="waggle-py-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.pg_db = None
        args = [
            waggle_binary(), "serve",
            "--listen", f"127.0.0.1:{self.port}",
            "--data-dir", self.dir,
            "--admin-password", ADMIN_PASSWORD,
        ]
        if backend == "postgres":
            self.pg_db = "waggle_py_" + uuid.uuid4().hex[:12]
            subprocess.run(["createdb", "-h", PG_HOST, "-U", "postgres", self.pg_db], check=True)
            args += ["--database-url", f"postgres://postgres@{PG_HOST}:5432/{self.pg_db}"]
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"waggle exited early: {open(self.log.name).read()}")
            try:
                if requests.get(self.url + "/api/v1/status", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError("waggle did not become ready in 30 s")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        if self.pg_db:
            subprocess.run(["dropdb", "-h", PG_HOST, "-U", "postgres", "--if-exists", "--force", self.pg_db], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request):
    if request.param == "postgres" and not postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is required in CI but is unreachable")
        print("\n*** SKIPPED: PostgreSQL unreachable; PostgreSQL variant of the thehive4py tests not run ***")
        pytest.skip("PostgreSQL unreachable")
    srv = Server(request.param)
    yield srv
    srv.stop()


@pytest.fixture
def admin(server):
    return TheHiveApi(url=server.url, username=ADMIN, password=ADMIN_PASSWORD, organisation="admin")


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
