"""Fixtures for the UI's end-to-end tests: a real `waggle serve` per test (SQLite or a fresh
PostgreSQL database) and a fresh headless Chromium from Debian's packages.

Every page a test looks at goes through `Browser.shot`, which saves a screenshot into
`test-output/screenshots/` and fails the test if the browser console reported an error
(a script exception, a CSP violation, a missing asset)."""

import base64
import json
import os
import pathlib
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
ADMIN = "admin@thehive.local"
ADMIN_PASSWORD = "secret"
PG_HOST = os.environ.get("WAGGLE_TEST_PG_HOST", "127.0.0.1")
WAIT = 15


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_available():
    if shutil.which("psql") is None:
        return False
    r = subprocess.run(["psql", "-h", PG_HOST, "-U", "postgres", "-tAc", "SELECT 1"],
                       capture_output=True, text=True, timeout=20)
    return r.returncode == 0


class Server:
    """A `waggle serve` on a free port with its own data directory (and database)."""

    def __init__(self, backend, tmp):
        self.backend = backend
        self.tmp = tmp
        self.database = None
        binary = os.environ.get("WAGGLE_BIN", str(ROOT / "target" / "debug" / "waggle"))
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        args = [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(tmp / "data"),
                "--admin-password", ADMIN_PASSWORD]
        if backend == "postgres":
            self.database = "waggle_ui_" + uuid.uuid4().hex[:12]
            subprocess.run(["createdb", "-h", PG_HOST, "-U", "postgres", self.database], check=True, timeout=60)
            args += ["--database-url", f"postgres://postgres@{PG_HOST}:5432/{self.database}"]
        self.log_path = tmp / "waggle.log"
        self.log = open(self.log_path, "wb")
        env = dict(os.environ, WAGGLE_LOG=os.environ.get("WAGGLE_LOG", "info"))
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self._wait_ready()

    def _wait_ready(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"waggle exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + "/api/status", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"waggle did not answer within 60 s:\n{self.log_tail()}")

    def api(self, method, path, body=None, login=ADMIN, password=ADMIN_PASSWORD):
        """Calls the HTTP API with Basic auth (to set the stage a test needs)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode())
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read().decode()
            return json.loads(text) if text else None

    def log_tail(self, n=40):
        if not self.log.closed:
            self.log.flush()
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        if self.database:
            subprocess.run(["dropdb", "-h", PG_HOST, "-U", "postgres", "--if-exists", "--force", self.database],
                           capture_output=True, timeout=60)


@pytest.fixture(params=["sqlite", "postgres"])
def server(request, tmp_path):
    if request.param == "postgres" and not postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_HOST}")
        pytest.skip(f"PostgreSQL unreachable at {PG_HOST}")
    srv = Server(request.param, tmp_path)
    yield srv
    srv.stop()
    if getattr(request.node, "rep_call_failed", False):
        print(f"--- waggle log ({request.param}) ---\n{srv.log_tail()}")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call":
        item.rep_call_failed = rep.failed


class Browser:
    """A Chromium window on one server, with the few verbs the tests need."""

    def __init__(self, driver, server, name):
        self.d = driver
        self.server = server
        self.name = name
        self.step = 0

    # Navigation and waiting
    def go(self, path):
        self.d.get(self.server.base + path)

    def _waiter(self):
        return WebDriverWait(self.d, WAIT, ignored_exceptions=[StaleElementReferenceException])

    def generation(self):
        """Changes on every page load and on every partial swap by the UI script."""
        try:
            return self.d.execute_script(
                "var h = document.documentElement;"
                "return (h.getAttribute('data-page') || '') + '/' + (h.getAttribute('data-swaps') || '0');")
        except Exception:
            return None

    def settled(self, before):
        """Waits until the page changed since `before` (a load or a swap) and the script ran."""
        def changed(_):
            now = self.generation()
            return now is not None and now != before and not now.startswith("/")
        try:
            self._waiter().until(changed)
        except TimeoutException:
            raise AssertionError(f"the page did not change after the action, on {self.d.current_url}")

    def submit(self, css):
        """Clicks a submit button (or link) and waits for the answer to be on screen."""
        before = self.generation()
        self.click(css)
        self.settled(before)

    def nav(self, link_text):
        before = self.generation()
        self.click_link(link_text)
        self.settled(before)

    def path(self):
        return "/" + self.d.current_url.split("/", 3)[3] if self.d.current_url.count("/") >= 3 else "/"

    def wait(self, css):
        return self._waiter().until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))

    def wait_visible(self, css):
        return self._waiter().until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def wait_text(self, css, text):
        try:
            self._waiter().until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
        except TimeoutException:
            found = [e.text for e in self.d.find_elements(By.CSS_SELECTOR, css)]
            raise AssertionError(f"{text!r} not in {css} (found {found!r}) on {self.d.current_url}")

    def wait_path(self, prefix):
        try:
            self._waiter().until(lambda d: self.path().startswith(prefix))
        except TimeoutException:
            raise AssertionError(f"expected to reach {prefix}, still on {self.d.current_url}")

    def find(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def fill(self, css, text):
        el = self.wait_visible(css)
        el.clear()
        el.send_keys(text)
        return el

    def click(self, css):
        el = self._waiter().until(EC.element_to_be_clickable((By.CSS_SELECTOR, css)))
        el.click()
        return el

    def click_link(self, text):
        el = self._waiter().until(EC.element_to_be_clickable((By.LINK_TEXT, text)))
        el.click()

    def select(self, css, visible_text, swaps=False):
        """Picks an option; with `swaps`, waits for the autosubmitted answer."""
        before = self.generation()
        Select(self.wait_visible(css)).select_by_visible_text(visible_text)
        if swaps:
            self.settled(before)

    def submit_confirmed(self, css):
        """Clicks a button whose form asks for confirmation, accepts, waits for the answer."""
        before = self.generation()
        self.click(css)
        WebDriverWait(self.d, WAIT).until(EC.alert_is_present())
        self.d.switch_to.alert.accept()
        self.settled(before)

    # Checks
    def console_errors(self, refused=False):
        """SEVERE console entries since the last call. With `refused`, the network entry a
        deliberate 4xx answer produces (a form shown again with its error, a 404 page) is
        expected; script errors and CSP violations never are."""
        errors = [e for e in self.d.get_log("browser") if e.get("level") == "SEVERE"]
        if refused:
            errors = [e for e in errors
                      if not (e.get("source") == "network" and " status of 4" in e.get("message", ""))]
        return errors

    def shot(self, label, refused=False):
        """Screenshot into test-output/screenshots, and no console errors so far."""
        self.step += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.d.save_screenshot(str(SHOTS / f"{self.name}-{self.step:02d}-{label}.png"))
        errors = self.console_errors(refused)
        assert not errors, f"console errors on {self.d.current_url}: {errors}"

    # Flows
    def sign_in(self, login, password):
        self.go("/login")
        self.fill("#login-user", login)
        self.fill("#login-password", password)
        self.submit("#login-submit")
        self.wait(".topbar")

    def sign_out(self):
        self.click(".user-menu summary")
        self.submit("#sign-out")
        self.wait("#login-user")


@pytest.fixture
def browser(request, server, tmp_path):
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1366,900", f"--user-data-dir={tmp_path / 'chromium'}"]:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(service=service, options=opts)
    driver.set_page_load_timeout(30)
    name = request.node.name.replace("[", "-").replace("]", "")
    b = Browser(driver, server, name)
    yield b
    try:
        errors = b.console_errors()
    finally:
        driver.quit()
    assert not errors, f"console errors at the end of the test: {errors}"
