"""The report's Content-Security-Policy: nothing loads from anywhere, only our own scripts run.

The report is one self-contained file opened from disk, so the policy denies every source
(``default-src 'none'``) and lets a script run only if it carries the nonce drawn afresh for each
render, which the templates put on their own ``<script nonce="{{ csp_nonce }}">`` elements. Text
from outputs, data or plug-ins is escaped; should some of it ever reach the page as markup, it
still could not run: an injected ``<script>`` lacks the nonce, and inline event handlers
(``onerror=...``) and ``javascript:`` URLs are never allowed. Inline styles stay allowed (the page
is styled inline, and no request can leave the page to carry anything away).
"""

from __future__ import annotations

import secrets

_DIRECTIVES = (
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "img-src data:",
    "font-src data:",
    "base-uri 'none'",
    "form-action 'none'",
)


def new_nonce() -> str:
    """A fresh, unguessable nonce for one rendered report."""
    return secrets.token_urlsafe(18)


def policy(*, nonce: str) -> str:
    """The policy of a report whose scripts carry ``nonce``."""
    return "; ".join([*_DIRECTIVES, f"script-src 'nonce-{nonce}'"])
