"""Who may talk to the dashboard: loopback by default, otherwise only holders of a secret token."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import urlencode

import flask
from werkzeug.wrappers import Response as WerkzeugResponse

TOKEN_MIN_CHARS = 16
TOKEN_ENV = "DORSI_TOKEN"
TOKEN_QUERY = "token"
TOKEN_COOKIE = "dorsi_access"
_COOKIE_CONTEXT = b"dorsi dashboard access cookie v1"


class AccessError(ValueError):
    """The server cannot be started safely as asked (the message says what to do)."""


def is_loopback(host: str) -> bool:
    """Whether `host` is an address only this computer can reach (127.0.0.0/8, ::1 or localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def generate_token() -> str:
    """A fresh random token (32 URL-safe characters, 192 bits)."""
    return secrets.token_urlsafe(24)


def check_token(token: str) -> str:
    """Return `token` if it is strong enough to guard the dashboard, else raise AccessError."""
    if len(token) < TOKEN_MIN_CHARS:
        raise AccessError(
            f"the token must be at least {TOKEN_MIN_CHARS} characters long (got {len(token)}); "
            "use --generate-token for a random one"
        )
    if any(c.isspace() or not c.isprintable() for c in token):
        raise AccessError("the token must not contain spaces or control characters")
    return token


def resolve_token(host: str, token: str | None, generate: bool) -> tuple[str | None, bool]:
    """The token the server must require, and whether it was generated here (then it is printed once).

    Parameters
    ----------
    host : str
        Address the server will bind.
    token : str or None
        Token given by the user (``--token`` or ``$DORSI_TOKEN``); empty counts as none.
    generate : bool
        Make a random token when none is given.

    Raises
    ------
    AccessError
        A token that is too short, or a non-loopback `host` without any token.
    """
    if token:
        return check_token(token), False
    if generate:
        return generate_token(), True
    if not is_loopback(host):
        raise AccessError(
            f"refusing to serve on {host}: other computers could reach the dashboard and the patient's data. "
            f"Give a secret with --token TOKEN (at least {TOKEN_MIN_CHARS} characters) or ${TOKEN_ENV}, or use "
            "--generate-token; or leave out --host to serve on 127.0.0.1 only"
        )
    return None, False


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape"))


def cookie_value(token: str) -> str:
    """The cookie a browser keeps after presenting the token once (derived from it, never the token itself)."""
    return hmac.new(token.encode("utf-8"), _COOKIE_CONTEXT, hashlib.sha256).hexdigest()


def install_token_gate(server: flask.Flask, token: str) -> None:
    """Make every request of `server` (pages, callbacks, assets, uploads) present `token`.

    Accepted: an ``Authorization: Bearer TOKEN`` header, the cookie set after a valid ``?token=TOKEN`` (the
    request is then redirected to the same URL without the token), or that query parameter itself on requests
    other than GET/HEAD. No credential: 401; a wrong one: 403. Comparisons take constant time.
    """
    check_token(token)
    expected_cookie = cookie_value(token)

    def refuse(status: int, why: str) -> WerkzeugResponse:
        text = (
            f"dorsi: {why}. Open the address printed when the dashboard started (it ends in ?{TOKEN_QUERY}=...), "
            "or send the header 'Authorization: Bearer TOKEN'.\n"
        )
        response = flask.Response(text, status=status, mimetype="text/plain")
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="dorsi"'
        return response

    def _gate() -> WerkzeugResponse | None:
        request = flask.request
        auth = request.headers.get("Authorization")
        if auth is not None:
            scheme, _, given = auth.partition(" ")
            if scheme.lower() == "bearer" and _same(given.strip(), token):
                return None
            return refuse(403, "wrong access token")
        supplied = request.args.get(TOKEN_QUERY)
        if supplied is not None:
            if not _same(supplied, token):
                return refuse(403, "wrong access token")
            if request.method not in ("GET", "HEAD"):
                return None
            rest = [(k, v) for k, v in request.args.items(multi=True) if k != TOKEN_QUERY]
            response = flask.redirect(request.path + (f"?{urlencode(rest)}" if rest else ""), code=303)
            response.set_cookie(TOKEN_COOKIE, expected_cookie, httponly=True, samesite="Strict", path="/")
            response.headers["Cache-Control"] = "no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response
        cookie = request.cookies.get(TOKEN_COOKIE)
        if cookie is not None:
            if _same(cookie, expected_cookie):
                return None
            return refuse(403, "the access cookie is not valid for this server")
        return refuse(401, "this dashboard needs its access token")

    # First of all hooks, so that no other code (Dash's included) runs for a request without the token.
    server.before_request_funcs.setdefault(None, []).insert(0, _gate)
