"""Rate limits on what anyone may try often: sign-ups, password-reset mails, join codes,
verification mails. Counts live in the cache (Redis when several processes run), in fixed
windows; each limit is sized so that a whole class behind one university address (NAT)
never meets it in ordinary use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from axes.helpers import get_client_ip_address
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone


@dataclass(frozen=True)
class Limit:
    name: str
    count: int  # at most this many ...
    seconds: int  # ... in this window
    what: str  # what was refused, for the page that says so

    def _key(self, who: str) -> str:
        window = int(timezone.now().timestamp()) // self.seconds
        digest = hashlib.sha256(who.encode()).hexdigest()[:32]
        return f"ratelimit:{self.name}:{window}:{digest}"

    def used(self, who: str) -> int:
        return cache.get(self._key(who), 0)

    def exceeded(self, who: str) -> bool:
        """Whether `who` has used up this window."""
        return self.used(who) >= self.count

    def hit(self, who: str) -> None:
        key = self._key(who)
        if not cache.add(key, 1, timeout=self.seconds + 1):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=self.seconds + 1)

    @property
    def wait(self) -> str:
        minutes = max(1, self.seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"


# A class of 200 signing up in its first lecture from one address stays under this.
SIGNUPS_PER_ADDRESS = Limit("signup-address", 200, 3600, "new accounts from this address")
# Each reset mail goes to a real inbox: a few per address an hour, and per inbox.
RESETS_PER_ADDRESS = Limit("reset-address", 50, 3600, "password-reset emails from this address")
RESETS_PER_EMAIL = Limit("reset-email", 3, 3600, "password-reset emails to this address")
# Join codes are 10 characters of a 30-letter alphabet; wrong ones are counted.
WRONG_CODES_PER_ACCOUNT = Limit("join-account", 10, 900, "wrong join codes")
WRONG_CODES_PER_ADDRESS = Limit("join-address", 100, 900, "wrong join codes from this address")
VERIFY_MAILS_PER_ACCOUNT = Limit("verify-account", 5, 3600, "confirmation emails")


def client_address(request: HttpRequest) -> str:
    """The address django-axes counts sign-in failures by (behind the trusted proxies)."""
    return get_client_ip_address(request) or "unknown"
