"""The report's Content-Security-Policy: nothing loads from anywhere, only our own code runs.

A report is one self-contained file opened from disk. Its policy denies every source
(``default-src 'none'``) and allows exactly the page's own inline script and style by their
SHA-256 hashes, computed from the packaged static files (``templates/js/*.js``,
``report.css``), never from anything rendered: text from outputs, data or plug-ins only ever
travels as escaped markup or as inert data blocks (``<script type="application/json">``), so
should some of it ever reach the page as markup it still could not run. An injected ``<script>``
has no allowed hash, and inline event handlers (``onerror=...``), ``javascript:`` URLs, ``eval``
and style attributes are never allowed. Hashes rather than a nonce keep a report byte-for-byte
reproducible: rendering the same run twice gives the same file.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

_FIXED = ("img-src data:", "font-src data:", "base-uri 'none'", "form-action 'none'")


def source_hash(text: str) -> str:
    """The CSP source expression allowing an inline element whose content is ``text``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def policy(*, scripts: Sequence[str] = (), styles: Sequence[str] = ()) -> str:
    """The policy of a page whose only inline scripts and styles are ``scripts`` and
    ``styles`` (the static files' text, as the page embeds them); none: nothing may run."""
    script_src = " ".join(source_hash(s) for s in scripts) or "'none'"
    style_src = " ".join(source_hash(s) for s in styles) or "'none'"
    return "; ".join(
        ["default-src 'none'", f"script-src {script_src}", f"style-src {style_src}", *_FIXED]
    )
