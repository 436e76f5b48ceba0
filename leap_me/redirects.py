"""The one check for a redirect target that came from a request (``next`` and the like).

Only a path on this site is followed: it must start with a single ``/`` and contain no
control characters (a CR or LF would split the ``Location`` header), no backslash (browsers
read ``/\\evil.example`` as another host), no scheme or host, and be at most
:data:`MAX_LENGTH` characters. Anything else gives the default, silently: the user still
lands on a page of this site.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2000


def is_safe_path(target: object) -> bool:
    """True when ``target`` is a local path that is safe to put in a Location header."""
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return False
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target:
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    # Encoded forms of the same tricks: /%2F%2Fevil, /%5Cevil, %0d%0a
    decoded = unquote(target)
    if decoded.startswith("//") or "\\" in decoded:
        return False
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in decoded):
        return False
    try:
        parts = urlsplit(target)
    except ValueError:
        return False
    return not parts.scheme and not parts.netloc


def safe_next(target: object, default: str) -> str:
    """``target`` when it is a safe local path (see :func:`is_safe_path`), else ``default``."""
    return target if is_safe_path(target) else default  # type: ignore[return-value]
