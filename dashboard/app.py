"""The Dash app: pages from dashboard/pages, served offline on 127.0.0.1 (or behind a token), fed by one LiveFeed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import dash
import flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler
from werkzeug.serving import make_server as _werkzeug_server

from dashboard.access import AccessError, install_token_gate, is_loopback

if TYPE_CHECKING:
    from dashboard.live_feed import LiveFeed

PAGES_FOLDER = Path(__file__).resolve().parent / "pages"
FEED_CONFIG_KEY = "DORSI_LIVE_FEED"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
TOKEN_CONFIG_KEY = "DORSI_ACCESS_TOKEN"

# One uploaded file, decoded (an hour of two sensors at 100 Hz is about 60 MB of interchange CSV).
MAX_UPLOAD_FILE_BYTES = 64 * 2**20
# One request: two files base64-encoded in one callback, plus room for the rest of the callback's JSON.
MAX_REQUEST_BYTES = 2 * (4 * MAX_UPLOAD_FILE_BYTES // 3 + 4) + 2**20

# Dash's developer tools: all off, whatever DASH_* variables the environment holds.
_DEV_TOOLS_OFF = {
    "debug": False,
    "ui": False,
    "props_check": False,
    "serve_dev_bundles": False,
    "hot_reload": False,
    "silence_routes_logging": False,
    "prune_errors": True,
    "validate_callbacks": False,
}

# Inline CSS: the app must look right offline, with nothing fetched from a CDN.
_STYLE = """
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #1f2328; background: #f6f8fa; font-size: 17px; line-height: 1.45; }
a { color: #0b3d91; }
:focus-visible { outline: 3px solid #bf4b00; outline-offset: 2px; }
.dorsi-header { display: flex; align-items: baseline; gap: 1.5rem; padding: 0.6rem 1.5rem;
                background: #0b3d91; color: #fff; }
.dorsi-header a { color: #fff; font-weight: 600; }
.dorsi-header h1 { margin: 0; font-size: 1.5rem; }
.dorsi-main { max-width: 1280px; margin: 0 auto; padding: 1rem 1.5rem 2rem; }
.dorsi-panel { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 0.9rem 1.1rem;
               margin-bottom: 1rem; }
.dorsi-panel h2 { margin: 0 0 0.5rem; font-size: 1.15rem; }
.dorsi-row { display: flex; flex-wrap: wrap; gap: 1rem; align-items: stretch; }
.dorsi-row > .dorsi-panel { flex: 1 1 280px; }
.dorsi-button { font: inherit; font-weight: 600; padding: 0.55rem 1.1rem; border-radius: 6px; cursor: pointer;
                border: 2px solid #0b3d91; background: #0b3d91; color: #fff; margin-right: 0.6rem; }
.dorsi-button.secondary { background: #fff; color: #0b3d91; }
.dorsi-button:disabled { background: #eaeef2; color: #424a53; border-color: #8c959f; cursor: default; }
.dorsi-status { margin: 0.35rem 0; }
.dorsi-status strong { display: inline-block; min-width: 7.5rem; }
.dorsi-radio label { display: flex; align-items: center; gap: 0.6rem; padding: 0.35rem 0; cursor: pointer; }
.dorsi-radio input { margin: 0; transform: scale(1.3); }
.dorsi-big { font-size: 7.5rem; font-weight: 700; line-height: 1; font-variant-numeric: tabular-nums; }
.dorsi-unit { font-size: 2.5rem; font-weight: 600; margin-left: 0.4rem; }
.dorsi-reps { font-size: 4.5rem; font-weight: 700; line-height: 1.05; font-variant-numeric: tabular-nums; }
.dorsi-reps .dorsi-unit { font-size: 2rem; }
.dorsi-zone { font-size: 1.35rem; font-weight: 600; margin: 0.6rem 0 0; }
.dorsi-label { font-size: 1.1rem; font-weight: 600; margin: 0 0 0.3rem; }
.dorsi-feedback { font-size: 1.35rem; font-weight: 600; min-height: 2.2em; margin-top: 0.5rem; }
.dorsi-progress { width: 100%; height: 1.2rem; margin-top: 0.4rem; accent-color: #1a7f37; }
.dorsi-table { border-collapse: collapse; width: 100%; }
.dorsi-table caption { text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
.dorsi-table th, .dorsi-table td { text-align: left; padding: 0.3rem 0.6rem;
                                   border-bottom: 1px solid #d0d7de; }
.dorsi-table td.num { font-variant-numeric: tabular-nums; }
.dorsi-events { margin: 0; padding-left: 1.2rem; }
"""

INDEX_STRING = (
    """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
        <style>"""
    + _STYLE
    + """</style>
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""
)


def current_feed() -> LiveFeed:
    """Return the LiveFeed of the app serving the current request (for callbacks and page layouts)."""
    feed: LiveFeed = flask.current_app.config[FEED_CONFIG_KEY]
    return feed


def current_data_dir() -> Path:
    """Return the data directory of the app serving the current request."""
    return current_feed().data_dir


def create_app(feed: LiveFeed, token: str | None = None) -> dash.Dash:
    """Build the dashboard around a live feed.

    Parameters
    ----------
    feed : LiveFeed
        The feed the Live page shows and controls; the caller starts and stops it.
    token : str or None
        When given (at least 16 characters), every request must present it (see `dashboard.access`).

    Returns
    -------
    dash.Dash
        The app, with pages from `PAGES_FOLDER`, scripts served locally, no external resources.

    Notes
    -----
    Dash imports the page modules (and registers their callbacks) again on each call. Debug mode and Dash's
    developer tools (error pop-ups, hot reload) are always off; requests are limited to `MAX_REQUEST_BYTES`.
    """
    app = dash.Dash(
        "dashboard",
        use_pages=True,
        pages_folder=str(PAGES_FOLDER),
        serve_locally=True,
        external_stylesheets=[],
        external_scripts=[],
        title="dorsi",
        update_title=None,  # type: ignore[arg-type]  # None: keep the title while callbacks run
        suppress_callback_exceptions=True,
        index_string=INDEX_STRING,
    )
    app.server.config[FEED_CONFIG_KEY] = feed
    _no_debug(app)
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    layout = dash.html.Div(
        [
            dash.html.Header(
                [
                    dash.html.H1("dorsi"),
                    dash.html.Nav(
                        [
                            dash.dcc.Link(p["name"], href=p["relative_path"], style={"marginRight": "1rem"})
                            for p in sorted(dash.page_registry.values(), key=lambda p: -p["order"])
                        ],
                        **{"aria-label": "Pages"},  # type: ignore[arg-type]
                    ),
                ],
                className="dorsi-header",
            ),
            dash.html.Main(dash.page_container, className="dorsi-main"),
        ]
    )
    app.layout = layout
    # Dash hands the callbacks registered with `dash.callback` to the first app that serves a request; claim
    # them now, so that making a second app in the same process cannot take or double this app's callbacks.
    app.server.test_client().get("/_dash-dependencies")
    if token is not None:
        install_token_gate(app.server, token)
    app.server.config[TOKEN_CONFIG_KEY] = token
    return app


def _no_debug(app: dash.Dash) -> None:
    """Switch off Flask's debug mode and Dash's developer tools, and answer the hot-reload route with 404."""
    app.server.debug = False
    app.server.config["PROPAGATE_EXCEPTIONS"] = False
    app._setup_dev_tools(**_DEV_TOOLS_OFF)  # type: ignore[no-untyped-call]

    @app.server.before_request  # type: ignore[untyped-decorator]
    def _no_hot_reload() -> flask.Response | None:
        if flask.request.path.rstrip("/").endswith("/_reload-hash"):
            return flask.Response("not found\n", status=404, mimetype="text/plain")
        return None


class _QuietRequestHandler(WSGIRequestHandler):
    """Logs errors but not every request: the Live page polls ten times a second."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:  # noqa: D102
        if isinstance(code, int) and code >= 400:
            super().log_request(code, size)


def make_server(app: dash.Dash, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> BaseWSGIServer:
    """Return a threaded WSGI server for the app (port 0 picks a free port; see ``server.server_port``).

    Raises
    ------
    AccessError
        `host` is not a loopback address and the app was made without a token.
    """
    if not is_loopback(host) and not app.server.config.get(TOKEN_CONFIG_KEY):
        raise AccessError(f"refusing to serve on {host} without an access token (see dorsi dashboard --help)")
    return _werkzeug_server(host, port, app.server, threaded=True, request_handler=_QuietRequestHandler)


def run_dashboard(
    feed: LiveFeed,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    show_token: bool = False,
    page: str = "/live",
) -> None:
    """Serve the dashboard until interrupted (Ctrl+C); prints the URL of `page`. Never in debug mode.

    Parameters
    ----------
    feed : LiveFeed
        The feed to show; the caller stops it afterwards.
    host : str
        Interface to bind; the default keeps the dashboard private to this computer.
    port : int
        TCP port; 0 picks a free one.
    token : str or None
        Access token every request must present; required unless `host` is a loopback address.
    show_token : bool
        Print the URL with the token (once, for a generated token); otherwise the token is never printed.
    page : str
        Path (and query) of the page whose URL is printed.
    """
    app = create_app(feed, token)
    server = make_server(app, host, port)
    url = f"http://{_url_host(host)}:{server.server_port}{page}"
    joiner = "&" if "?" in page else "?"
    if token is not None and show_token:
        url += f"{joiner}token={token}"
    elif token is not None:
        url += f"{joiner}token=YOUR_TOKEN"
    print(f"dorsi dashboard: {url}  (Ctrl+C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
