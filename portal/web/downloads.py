"""Content-Disposition for downloads, safe for any file name (RFC 6266/5987).

A name such as ``José 😀.jpg`` cannot go into a header as it is: WSGI servers
(gunicorn among them) send headers as latin-1 and answer 500 on anything
else, while Flask's test client lets it through. :func:`attachment_headers`
sends an ASCII fallback ``filename="Jose _.jpg"`` for old clients and the
exact name as ``filename*=UTF-8''Jos%C3%A9%20%F0%9F%98%80.jpg``, which every
current browser prefers.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

# Characters that may not appear inside the quoted ASCII fallback.
_UNSAFE_IN_QUOTES = str.maketrans({'"': "_", "\\": "_", ";": "_"})


def ascii_fallback(filename: str) -> str:
    """The name with accents dropped (``Dvořák`` → ``Dvorak``) and anything
    else outside printable ASCII replaced by ``_``."""
    decomposed = unicodedata.normalize("NFKD", filename)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_only = "".join(c if " " <= c <= "~" else "_" for c in kept)
    return ascii_only.translate(_UNSAFE_IN_QUOTES).strip() or "documento"


def content_disposition(filename: str, inline: bool = False) -> str:
    """The header value: always latin-1 encodable (in fact ASCII)."""
    disposition = "inline" if inline else "attachment"
    fallback = ascii_fallback(filename)
    value = f'{disposition}; filename="{fallback}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


def attachment_headers(filename: str, inline: bool = False) -> dict[str, str]:
    """Headers to send a file under ``filename`` (as a download, or shown in
    the browser when ``inline``)."""
    return {"Content-Disposition": content_disposition(filename, inline=inline)}
