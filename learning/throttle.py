"""Password guessing, counted three ways (django-axes, with a limit for each way).

- One account from one address: AXES_FAILURE_LIMIT (5) wrong passwords pause that pair.
- One address across every username (password spraying): LOGIN_FAILURES_PER_ADDRESS.
  A class of 200 behind one university address (NAT) mistyping at the start of a
  lecture makes a few dozen failures in 15 minutes, so the limit is 40: a sprayer gets
  40 guesses per quarter of an hour instead of unlimited ones.
- One account across every address (a botnet on one student): LOGIN_FAILURES_PER_ACCOUNT,
  20. Anyone can use these up and pause a student's sign-in for 15 minutes; the
  lockout page offers password reset, which clears the pause.

django-axes combines lockout parameters with a single limit, which would lock a whole
class out after five typos; this handler scales each parameter set's count to that one
limit, and a successful sign-in clears only that account's failures from that address
(not the address's count, which a sprayer with one real account could otherwise reset).
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def failure_limits() -> dict[tuple[str, ...], int]:
    """Failures allowed in a cool-off period, per lockout parameter set."""
    return {
        ("username", "ip_address"): settings.AXES_FAILURE_LIMIT,
        ("ip_address",): settings.LOGIN_FAILURES_PER_ADDRESS,
        ("username",): settings.LOGIN_FAILURES_PER_ACCOUNT,
    }


def _key(parameter: str | list[str]) -> tuple[str, ...]:
    return (parameter,) if isinstance(parameter, str) else tuple(parameter)


class SprayAwareHandler(AxesDatabaseHandler):
    def get_failures(self, request: Any, credentials: dict | None = None) -> int:
        """The failures of the parameter set nearest its own limit, scaled to
        AXES_FAILURE_LIMIT: axes locks when this reaches that limit."""
        base = settings.AXES_FAILURE_LIMIT
        limits = failure_limits()
        worst = 0
        for parameter, attempts in zip(
            settings.AXES_LOCKOUT_PARAMETERS,
            self.get_user_attempts(request, credentials),
            strict=True,
        ):
            count = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            limit = limits.get(_key(parameter), base)
            worst = max(worst, count * base // limit)
        return worst

    def reset_user_attempts(self, request: Any, credentials: dict | None = None) -> int:
        """On a successful sign-in: that account's failures from that address only."""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count
