"""The one check for where the portal may send a browser after an action.

Every ``next`` the portal accepts (citizen and staff sign-in, the language
switch, the privacy notice) goes through :func:`safe_next`. Browsers are more
forgiving than string checks: they drop tabs and newlines inside a URL, read
``\\`` as ``/`` and treat ``//host`` as another site, so ``/\\t/evil.example``
becomes ``//evil.example``. Only a plain path on this site passes; anything
else gives the fallback, and nothing here raises.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

MAX_LENGTH = 2000

# A path starts with one "/" followed by a path character; then printable ASCII
# without backslashes (browsers read "\" as "/") or quotes. Control characters,
# spaces and anything outside ASCII must come percent-encoded.
_PLAIN_PATH = re.compile(r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@%?/]*)?\Z")


def safe_next(value: object, fallback: str = "") -> str:
    """``value`` when it is a path on this site, otherwise ``fallback``.

    Refused: anything that is not a string, longer than ``MAX_LENGTH``, not
    starting with a single ``/``, a scheme or host (``https://x``, ``//x``,
    ``/\\x``), tabs, CR/LF and other control characters, backslashes, and
    encoded slashes or backslashes (``%2f``, ``%5c``) or control characters
    that a server or browser might decode into one of those.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        return fallback
    if not _PLAIN_PATH.match(value) or value.startswith("//"):
        return fallback
    path = value.split("?", 1)[0]
    decoded = unquote(path)
    lowered = path.lower()
    if "%2f" in lowered or "%5c" in lowered or decoded.startswith("//"):
        return fallback
    if any(ord(char) < 32 or ord(char) == 127 or char == "\\" for char in unquote(value)):
        return fallback
    return value
