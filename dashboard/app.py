"""The Dash app: pages from dashboard/pages, served offline on 127.0.0.1, fed by one LiveFeed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import dash
import flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler
from werkzeug.serving import make_server as _werkzeug_server

if TYPE_CHECKING:
    from dashboard.live_feed import LiveFeed

PAGES_FOLDER = Path(__file__).resolve().parent / "pages"
FEED_CONFIG_KEY = "DORSI_LIVE_FEED"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050

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


def create_app(feed: LiveFeed) -> dash.Dash:
    """Build the dashboard around a live feed.

    Parameters
    ----------
    feed : LiveFeed
        The feed the Live page shows and controls; the caller starts and stops it.

    Returns
    -------
    dash.Dash
        The app, with pages from `PAGES_FOLDER`, scripts served locally, no external resources.

    Notes
    -----
    Dash imports the page modules (and registers their callbacks) again on each call.
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
    return app


class _QuietRequestHandler(WSGIRequestHandler):
    """Logs errors but not every request: the Live page polls ten times a second."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:  # noqa: D102
        if isinstance(code, int) and code >= 400:
            super().log_request(code, size)


def make_server(app: dash.Dash, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> BaseWSGIServer:
    """Return a threaded WSGI server for the app (port 0 picks a free port; see ``server.server_port``)."""
    return _werkzeug_server(host, port, app.server, threaded=True, request_handler=_QuietRequestHandler)


def run_dashboard(feed: LiveFeed, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve the dashboard until interrupted (Ctrl+C); prints the Live page's URL. Never in debug mode.

    Parameters
    ----------
    feed : LiveFeed
        The feed to show; the caller stops it afterwards.
    host : str
        Interface to bind; the default keeps the dashboard private to this computer.
    port : int
        TCP port; 0 picks a free one.
    """
    app = create_app(feed)
    server = make_server(app, host, port)
    print(f"dorsi dashboard: http://{host}:{server.server_port}/live  (Ctrl+C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
