"""The safe server: loopback by default, a token gate otherwise, bounded uploads, ids never paths, no debug mode."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import requests

from dashboard.access import TOKEN_COOKIE, AccessError, cookie_value, is_loopback, resolve_token
from dashboard.paths import is_session_id, validate_session_id
from sensors.recorder import new_session_id
from tests.conftest import serve_dashboard

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "correct-horse-battery-staple-42"


def _served(data_dir: Path, token: str | None) -> AbstractContextManager[str]:
    """A real dashboard (create_app + make_server) on a free port of 127.0.0.1; yields its base URL."""
    from dashboard.live_feed import LiveFeed

    return serve_dashboard(LiveFeed(data_dir, emulated=True), token)


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _served(tmp_path_factory.mktemp("gated"), TOKEN) as url:
        yield url


def _asset_paths(html: str) -> list[str]:
    """The script and stylesheet URLs an index page loads from this server."""
    return [p for p in re.findall(r'(?:src|href)="(/[^"]+)"', html) if p.startswith(("/_dash", "/assets"))]


def test_every_kind_of_request_needs_the_token(gated: str) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    index = requests.get(f"{gated}/live", headers=bearer, timeout=30)
    assert index.status_code == 200 and "_dash-config" in index.text
    assets = _asset_paths(index.text)
    assert any("/_dash-component-suites/" in p for p in assets)
    paths = ["/", "/live", "/import", "/_dash-layout", "/_dash-dependencies", "/no-such-page", *assets[:5]]
    for path in paths:
        assert requests.get(gated + path, headers=bearer, timeout=30).status_code == 200, path
        anonymous = requests.get(gated + path, timeout=30)
        assert anonymous.status_code == 401, path
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
        assert "_dash" not in anonymous.text and "<html" not in anonymous.text
        assert (
            requests.get(gated + path, headers={"Authorization": "Bearer wrong-token-wrong-token"}).status_code == 403
        )
        assert requests.get(gated + path, params={"token": TOKEN[:-1]}, timeout=30).status_code == 403
    # callbacks and uploads are POSTs to the same endpoint: refused before the body is read
    body = {"output": "x.children", "outputs": {"id": "x", "property": "children"}, "inputs": [], "changedPropIds": []}
    assert requests.post(f"{gated}/_dash-update-component", json=body, timeout=30).status_code == 401
    # the Authorization header wins: a wrong one is refused even with a valid cookie
    jar = {TOKEN_COOKIE: cookie_value(TOKEN)}
    assert requests.get(f"{gated}/live", cookies=jar, timeout=30).status_code == 200
    assert requests.get(f"{gated}/live", cookies=jar, headers={"Authorization": "Basic x"}).status_code == 403


def test_token_once_in_the_url_then_a_strict_http_only_cookie(gated: str) -> None:
    first = requests.get(
        f"{gated}/sessions",
        params={"session": "20261124T101500Z-3f9a", "token": TOKEN},
        allow_redirects=False,
        timeout=30,
    )
    assert first.status_code == 303
    # the redirect drops the token from the address bar (and from history and Referer), keeping the rest
    assert first.headers["Location"] == "/sessions?session=20261124T101500Z-3f9a"
    cookie = first.headers["Set-Cookie"]
    assert f"{TOKEN_COOKIE}=" in cookie and TOKEN not in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    browser = requests.Session()
    assert browser.get(f"{gated}/live", params={"token": TOKEN}, timeout=30).status_code == 200
    assert browser.get(f"{gated}/_dash-layout", timeout=30).status_code == 200
    # a cookie that is not derived from this server's token is refused
    forged = requests.get(f"{gated}/live", cookies={TOKEN_COOKIE: cookie_value("another-token-1234567")}, timeout=30)
    assert forged.status_code == 403


def test_loopback_without_token_serves_everyone_on_this_computer(tmp_path: Path) -> None:
    with _served(tmp_path, None) as url:
        assert requests.get(f"{url}/live", timeout=30).status_code == 200


def test_other_addresses_need_a_token(tmp_path: Path) -> None:
    from dashboard.app import create_app, make_server
    from dashboard.live_feed import LiveFeed

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.8.0.1")
    for host in ("0.0.0.0", "::", "192.168.1.20", "dorsi.example.org", ""):
        assert not is_loopback(host)
        with pytest.raises(AccessError, match="refusing to serve on"):
            resolve_token(host, None, generate=False)
    app = create_app(LiveFeed(tmp_path, emulated=True))
    with pytest.raises(AccessError, match="without an access token"):
        make_server(app, "0.0.0.0", 0)
    with pytest.raises(AccessError, match="at least 16 characters"):
        resolve_token("0.0.0.0", "short-token", generate=False)
    assert resolve_token("0.0.0.0", TOKEN, generate=False) == (TOKEN, False)
    generated, show = resolve_token("0.0.0.0", None, generate=True)
    assert show and generated is not None and len(generated) >= 16
    assert resolve_token("0.0.0.0", None, generate=True)[0] != generated


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "DORSI_TOKEN"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_cli_refuses_a_public_address_without_a_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for command in (["dashboard", "--emulated"], ["demo"]):
        run = _cli(*command, "--host", "0.0.0.0", "--port", "0", "--data-dir", str(data))
        assert run.returncode == 2, run.stderr
        assert "refusing to serve on 0.0.0.0" in run.stderr and "--token" in run.stderr
        assert "Traceback" not in run.stderr and "dorsi dashboard:" not in run.stdout
    run = _cli("dashboard", "--emulated", "--host", "0.0.0.0", "--token", "tooshort", "--data-dir", str(data))
    assert run.returncode == 2 and "at least 16 characters" in run.stderr
    run = _cli("dashboard", "--emulated", "--host", "0.0.0.0", "--data-dir", str(data), env={"DORSI_TOKEN": "x" * 8})
    assert run.returncode == 2 and "at least 16 characters" in run.stderr
    assert not data.exists(), "nothing may start (no data written) before the access check"


def test_cli_prints_a_generated_token_once_and_requires_it(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if k != "DORSI_TOKEN"}
    cmd = [sys.executable, "-m", "dashboard.cli", "dashboard", "--emulated", "--port", "0", "--generate-token"]
    proc = subprocess.Popen(
        [*cmd, "--data-dir", str(tmp_path / "d")], cwd=ROOT, env=clean, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)/live\?token=([A-Za-z0-9_-]{16,})", line)
        assert match, line
        base, token = match.groups()
        assert requests.get(f"{base}/live", timeout=30).status_code == 401
        browser = requests.Session()
        page = browser.get(f"{base}/live?token={token}", timeout=30)
        assert page.status_code == 200 and page.url == f"{base}/live"
        assert browser.get(f"{base}/_dash-layout", timeout=30).status_code == 200
    finally:
        proc.terminate()
        rest, _ = proc.communicate(timeout=30)
    assert token not in rest, "the token is printed once"


def test_request_size_is_limited(gated: str) -> None:
    from dashboard.app import MAX_REQUEST_BYTES, MAX_UPLOAD_FILE_BYTES

    # two files at the per-file limit, base64, fit in one request; a body past the limit is refused unread
    assert 2 * 4 * MAX_UPLOAD_FILE_BYTES / 3 < MAX_REQUEST_BYTES < 3 * MAX_UPLOAD_FILE_BYTES
    host, port = gated.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", "/_dash-update-component")
    conn.putheader("Authorization", f"Bearer {TOKEN}")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(MAX_REQUEST_BYTES + 1))
    conn.endheaders()
    conn.send(b'{"output": "')
    assert conn.getresponse().status == 413
    conn.close()


def test_debug_mode_and_dev_tools_stay_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.app import create_app
    from dashboard.live_feed import LiveFeed

    for name in ("DASH_DEBUG", "DASH_UI", "DASH_HOT_RELOAD", "DASH_PROPS_CHECK", "DASH_SERVE_DEV_BUNDLES"):
        monkeypatch.setenv(name, "true")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app(LiveFeed(tmp_path, emulated=True))
    assert app.server.debug is False
    assert not any(app._dev_tools[k] for k in ("ui", "props_check", "serve_dev_bundles", "hot_reload"))
    client = app.server.test_client()
    page = client.get("/live").get_data(as_text=True)
    config = json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page).group(1))
    assert config["ui"] is False and config["props_check"] is False and "hot_reload" not in config
    assert ".dev.js" not in page
    assert client.get("/_reload-hash").status_code == 404
    # a broken callback request gives a bare 500, never a traceback or the Werkzeug debugger
    broken = client.post("/_dash-update-component", json={"output": "no-such.children", "inputs": [{}]})
    assert broken.status_code >= 400
    text = broken.get_data(as_text=True)
    assert "Traceback" not in text and "Werkzeug Debugger" not in text and 'File "' not in text


@pytest.mark.parametrize(
    "bad",
    [
        "../x",
        "..",
        ".",
        "/etc",
        "/etc/passwd",
        "a/b",
        "a\\b",
        "%2e%2e",
        "%2F",
        "",
        " ",
        "a b",
        "-rf",
        "x-",
        "é",
        "a\x00",
        "a\n",
        "s" * 65,
        "C:",
        "~",
        "session.json",
    ],
)
def test_session_ids_that_are_paths_are_refused(bad: str) -> None:
    assert not is_session_id(bad)
    with pytest.raises(ValueError, match="not a session id"):
        validate_session_id(bad)


def test_real_session_ids_are_accepted() -> None:
    for _ in range(20):
        sid = new_session_id()
        assert validate_session_id(sid) == sid
    assert not is_session_id(None) and not is_session_id(b"20261124T101500Z-3f9a")


def test_no_page_opens_a_path_given_in_the_query(tmp_path: Path) -> None:
    """Every page's layout, given paths where ids go, shows nothing of a session stored outside sessions/."""
    import dash
    from plotly.io.json import to_json_plotly

    from dashboard.app import create_app
    from dashboard.live_feed import LiveFeed

    data = tmp_path / "data"
    outside = tmp_path / "outside" / "20990101T000000Z-beef"
    outside.mkdir(parents=True)
    marker = "SECRET-OUTSIDE-MARKER"
    (outside / "session.json").write_text(json.dumps({"session_id": marker, "notes": marker, "leg": "left"}))
    app = create_app(LiveFeed(data, emulated=True))
    hostile = [str(outside), f"../../outside/{outside.name}", "..%2F..%2Foutside", "/etc/passwd"]
    pages = [p for p in dash.page_registry.values() if callable(p.get("layout"))]
    assert pages
    for page in pages:
        for value in hostile:
            query = dict.fromkeys(("session", "id", "path", "file", "folder", "exercise", "routine"), value)
            with app.server.test_request_context(page["path"]):
                rendered = to_json_plotly(page["layout"](**query))
            assert marker not in rendered, (page["path"], value)
            assert "root:" not in rendered, (page["path"], value)
