"""Signed, expiring URLs, as providers hand out for outputs on their CDN: the URL
carries ``exp`` (a Unix time on the emulator's clock) and ``sig`` (an HMAC of the
resource and ``exp`` under a per-emulator secret), so it works without a key and
stops working when it expires."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from .http import Request

__all__ = ["URLSigner"]


class URLSigner:
    """Signs ``(resource, exp)`` pairs; one secret per emulator."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(16)

    def sign(self, resource: str, exp: int) -> str:
        return hmac.new(self._secret, f"{resource}:{exp}".encode(), hashlib.sha256).hexdigest()[:32]

    def query(self, resource: str, exp: int) -> str:
        """``exp=…&sig=…`` for *resource*, valid until *exp*."""
        return f"exp={exp}&sig={self.sign(resource, exp)}"

    def verify(self, req: Request, resource: str) -> int | None:
        """The ``exp`` of *req* when its signature is right for *resource*, else None
        (expiry is the caller's check: it may also be forced by a fault)."""
        try:
            exp = int(req.param("exp") or "")
        except ValueError:
            return None
        if hmac.compare_digest(req.param("sig") or "", self.sign(resource, exp)):
            return exp
        return None
