"""Security headers on every response: CSP, framing, sniffing, referrer, caching and HSTS."""

from __future__ import annotations

import secrets

from flask import Flask, current_app, g, request
from werkzeug.wrappers import Response

# Files that are the same for everyone and hold nothing about a person: the browser may keep
# them (revalidating each time). Every page, PDF and logo is no-store.
CACHEABLE_ENDPOINTS = frozenset({"static", "staff.brief_asset"})
HSTS = "max-age=63072000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Set the headers after every request, errors and redirects included."""
    app.before_request(_fresh_nonce)
    app.after_request(secure)
    app.add_template_global(csp_nonce)


def _fresh_nonce() -> None:
    # Each response its own nonce, even where one app context serves many requests.
    g.pop("csp_nonce", None)


def csp_nonce() -> str:
    """A fresh nonce for this response, for the one inline <style> the brief page needs."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return str(g.csp_nonce)


def policy(nonce: str | None = None) -> str:
    """The Content-Security-Policy: our own files only, no inline script, never framed."""
    style = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {style}",
            # data: for the clinic's logo on the brief page (an <img>, never a document).
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


# The policy of every response without a nonce (all but the brief's page), made once.
_POLICY = policy()


def secure(response: Response) -> Response:
    """Add the headers; a view that set a stricter CSP of its own (the logo) keeps it."""
    headers = response.headers
    # What the view set, read once (werkzeug's setdefault reads the whole list three times).
    present = {key.lower() for key in headers.keys()}

    def put(key: str, value: str, *, keep: bool = False) -> None:
        if key.lower() not in present:
            headers.add(key, value)
        elif not keep:
            headers.set(key, value)

    nonce = g.get("csp_nonce")
    put("Content-Security-Policy", policy(nonce) if nonce else _POLICY, keep=True)
    put("X-Content-Type-Options", "nosniff", keep=True)
    put("X-Frame-Options", "DENY", keep=True)
    # Client links carry their token in the address: no page ever sends it on as a Referer.
    put("Referrer-Policy", "no-referrer")
    put("Cross-Origin-Opener-Policy", "same-origin", keep=True)
    if request.endpoint in CACHEABLE_ENDPOINTS and response.status_code < 400:
        response.cache_control.no_cache = True
    else:
        # Clinical content and personal data: never kept by the browser or any cache.
        put("Cache-Control", "no-store")
        put("Pragma", "no-cache")
    if current_app.config.get("PRODUCTION"):
        put("Strict-Transport-Security", HSTS)
    return response
