"""The report's Content-Security-Policy: nothing loads from anywhere, only our own scripts run.

The report is one self-contained file opened from disk, so the policy denies every source
(``default-src 'none'``) and allows inline scripts only by the SHA-256 of their exact text: the
scripts the templates wrote. Anything that slipped through escaping as markup could not run:
an injected ``<script>`` has another hash, and inline event handlers (``onerror=...``) and
``javascript:`` URLs are never allowed. Inline styles stay allowed (the page is styled inline and
no request can leave the page to exfiltrate anything).
"""

from __future__ import annotations

import base64
import hashlib
import re

PLACEHOLDER = "__JUDGE_CSP__"
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_BASE = (
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "img-src data:",
    "font-src data:",
    "base-uri 'none'",
    "form-action 'none'",
)


def script_hashes(html: str) -> list[str]:
    """``'sha256-...'`` sources for every inline script of ``html``, in order, without repeats."""
    hashes = []
    for body in _SCRIPT.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        if f"'sha256-{digest}'" not in hashes:
            hashes.append(f"'sha256-{digest}'")
    return hashes


def policy(html: str) -> str:
    """The policy for ``html``: the fixed directives and a script-src of its scripts' hashes."""
    scripts = " ".join(script_hashes(html)) or "'none'"
    return "; ".join([*_BASE, f"script-src {scripts}"])


def apply_policy(html: str) -> str:
    """Put the policy into the page where the template left :data:`PLACEHOLDER`.

    Only the first occurrence, which must sit in ``<head>`` before any untrusted text: a
    placeholder inside an LLM output later in the page stays text.
    """
    at = html.find(PLACEHOLDER)
    head_end = html.lower().find("</head>")
    if at < 0 or (head_end >= 0 and at > head_end):
        raise ValueError("the report template has no Content-Security-Policy placeholder in <head>")
    return html[:at] + policy(html) + html[at + len(PLACEHOLDER) :]
