"""The MISP screens as an administrator and an analyst use them: a server connection with its
settings and filters, "test connection", "synchronise now" and the status, and the export of
a case to MISP from its page. A small MISP stand-in (the endpoints these screens reach) runs
in the test process; Waggle is started with `[misp] destinations = "any"` so its SSRF guard
lets it reach 127.0.0.1, and with the poller off so only the buttons sync."""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import ADMIN, ADMIN_PASSWORD

KEY = "browser-test-key"


class MispStandIn(BaseHTTPRequestHandler):
    """Answers like MISP 2.4 for version, key owner, event listing, creation and view."""
    events = {}

    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorised(self):
        if self.headers.get("Authorization") != KEY:
            self.reply(403, {"name": "Authentication failed.", "message": "Authentication failed."})
            return False
        return True

    def do_GET(self):
        if not self.authorised():
            return
        if self.path == "/servers/getVersion":
            self.reply(200, {"version": "2.4.190", "perm_sync": True})
        elif self.path == "/users/view/me":
            self.reply(200, {"User": {"id": "1", "org_id": "1", "email": "sync@misp.test"},
                             "Role": {"perm_auth": True, "perm_add": True, "perm_modify": True, "perm_tagger": True},
                             "Organisation": {"id": "1", "name": "ORGNAME"}})
        elif self.path.startswith("/events/view/"):
            event = self.events.get(self.path.split("/")[3])
            self.reply(200, {"Event": event}) if event else self.reply(404, {"message": "Invalid event."})
        else:
            self.reply(404, {"message": "not here"})

    def do_POST(self):
        if not self.authorised():
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path == "/events/index":
            self.reply(200, [])
        elif self.path == "/events/add":
            event = dict(body.get("Event", body), id=str(5000 + len(self.events)), uuid=str(uuid.uuid4()),
                         Orgc={"name": "ORGNAME"}, timestamp="1700000000")
            self.events[event["id"]] = event
            self.reply(200, {"Event": event})
        elif self.path.startswith("/events/edit/"):
            self.reply(200, {"Event": self.events.get(self.path.split("/")[3], {})})
        else:
            self.reply(404, {"message": "not here"})


@pytest.fixture(autouse=True)
def misp_config(tmp_path, monkeypatch):
    """Runs before the `server` fixture: its `waggle serve` reads this configuration file."""
    config = tmp_path / "waggle.toml"
    config.write_text('[misp]\npoller = false\ndestinations = "any"\n')
    monkeypatch.setenv("WAGGLE_CONFIG", str(config))


@pytest.fixture
def misp():
    MispStandIn.events = {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), MispStandIn)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_admin_connects_tests_and_synchronises_a_misp_server(browser, misp):
    b = browser
    b.server.api("POST", "/api/v1/organisation", {"name": "soc", "description": "SOC"})
    b.sign_in(ADMIN, ADMIN_PASSWORD)
    b.nav("Administration")
    b.submit("#tab-misp")
    b.wait_text("h1", "MISP servers")
    b.wait_text("#misp-servers", "No MISP server yet")
    b.shot("misp-empty")

    b.submit("#new-misp-server")
    b.fill("#misp-name", "circl")
    b.fill("#misp-url", misp)
    b.fill("#misp-key", "not-the-key")
    b.fill("#misp-max-age", "30d")
    b.fill("#misp-exc-tags", "tlp:red")
    b.fill("#misp-inc-waggle", "soc")
    # A wrong key: the test says so clearly, nothing is saved.
    b.submit("#test-misp-server")
    b.wait_text("#test-report", "problems found")
    b.wait_text("#test-report [data-check=apiKey]", "MISP refused the API key")
    b.shot("misp-test-refused")
    b.fill("#misp-key", KEY)
    b.submit("#test-misp-server")
    b.wait_text("#test-report", "all good")
    b.wait_text("#test-report [data-check=version]", "MISP 2.4.190")
    b.shot("misp-test-ok")
    assert b.find("#misp-max-age").get_attribute("value") == "30d", "the form keeps what was typed"
    # The key is never sent back to the browser: it is typed again to save.
    b.wait_text("#misp-key-again", "type it again")
    assert b.find("#misp-key").get_attribute("value") == ""
    b.fill("#misp-key", KEY)
    b.submit("#save-misp-server")
    b.wait_text(".flash-ok", "Created.")
    b.wait_text("h1", "circl")
    server = b.server.api("GET", "/api/v1/connector/misp/server/circl")
    assert server["maxAge"] == "30d" and server["excludedTags"] == ["tlp:red"]
    assert server["includedTheHiveOrganisations"] == ["soc"]
    assert KEY not in b.d.page_source
    b.shot("misp-created")

    b.submit(".tabs a[href='/admin/misp']")
    b.submit("#sync-all button[type=submit]")
    b.wait_text("[data-sync-report=circl]", "synchronised")
    b.wait_text("#misp-servers [data-server=circl] [data-health]", "OK")
    b.shot("misp-synchronised")

    # The polling interval shared by all servers: from the configuration file until set here.
    b.wait_text("#shared-interval-help", "From the configuration file")
    assert b.find("#shared-interval").get_attribute("value") == "1h"
    b.fill("#shared-interval", "10s")
    b.submit("#shared-interval-form button[type=submit]")
    b.wait_text(".flash-error", "between 1m and 1d")
    b.shot("misp-interval-refused", refused=True)
    assert b.server.api("GET", "/api/v1/connector/misp/settings")["source"] == "config", "nothing saved"
    b.fill("#shared-interval", "30m")
    b.submit("#shared-interval-form button[type=submit]")
    b.wait_text(".flash-ok", "Saved.")
    b.wait_text("#shared-interval-help", f"Set by {ADMIN}")
    assert b.find("#shared-interval").get_attribute("value") == "30m"
    assert b.server.api("GET", "/api/v1/connector/misp/settings")["syncIntervalSeconds"] == 1800
    b.shot("misp-interval-set")


def test_analyst_exports_a_case_to_misp(browser, misp):
    b = browser
    s = b.server
    s.api("POST", "/api/v1/organisation", {"name": "soc", "description": "SOC"})
    s.api("POST", "/api/v1/user", {"login": "ana@soc.test", "name": "Ana", "profile": "analyst",
                                   "organisation": "soc", "password": "ana-password"})
    s.api("POST", "/api/v1/connector/misp/server", {"name": "circl", "url": misp, "apiKey": KEY})
    case = s.api("POST", "/api/v1/case", {"title": "Phishing wave", "description": "d"},
                 login="ana@soc.test", password="ana-password")
    s.api("POST", f"/api/v1/case/{case['_id']}/observable", {"dataType": "ip", "data": "198.51.100.7", "ioc": True},
          login="ana@soc.test", password="ana-password")
    b.sign_in("ana@soc.test", "ana-password")
    b.go(f"/cases/{case['number']}")
    b.wait_text("h1", "Phishing wave")
    b.submit("#case-misp-export")
    b.wait_text("h1", "Export to MISP")
    b.wait_text("#misp-exports", "Not exported yet")
    b.shot("export-page")
    b.submit("#export-misp button[type=submit]")
    b.wait_text("#export-result", "created on circl")
    b.wait_text("#misp-exports", "#5000")
    b.shot("exported")
    b.submit("#export-misp button[type=submit]")
    b.wait_text("#export-result", "updated")
    assert len(MispStandIn.events) == 1, "exporting again updates the same event"

    # The case page itself says where and when the case went, and who sent it.
    b.go(f"/cases/{case['number']}")
    b.wait_text("#case-misp-exports [data-server=circl]", "circl")
    b.wait_text("#case-misp-exports [data-server=circl]", "#5000")
    b.wait_text("#case-misp-exports [data-server=circl] [data-by]", "ana@soc.test")
    assert b.find("#case-misp-exports [data-server=circl] time").get_attribute("datetime")
    b.shot("case-page-exports")
