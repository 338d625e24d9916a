"""Counters that slow guessing and floods down: per account, per client address, per clinic.

Built on `limits` (the library under Flask-Limiter): moving windows kept in Redis when
REDIS_URL (or THROTTLE_STORAGE_URL) is set, so every web process shares them, else in this
process's memory. Each rule is several limits at once ("5/minute;10/15 minutes;..."), so
the wait grows with persistence: a few slips cost a minute, a guessing run costs a day.
Keys are hashed: no email or address is written to Redis as such.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

# What each counter allows; THROTTLE_RULES in the configuration overrides any of them.
RULES: dict[str, str] = {
    # Failed sign-ins for one email, and from one client address (a clinic behind one
    # address has several people, so that limit is looser).
    "login_account": "5/minute;10/15 minutes;20/hour;50/day",
    "login_address": "20/minute;60/hour;300/day",
    # Wrong two-factor codes for one account: a six-digit code must never be guessable.
    "second_factor": "5/5 minutes;10/hour;20/day",
    # Password reset requests from one address, and reset emails to one account.
    "reset_address": "5/10 minutes;20/day",
    "reset_account": "3/hour;6/day",
    # Self-referrals from one address (any clinic), and urgent emails they may raise.
    "referral_address": "3/hour;10/day",
    "referral_notice_address": "2/hour;4/day",
    # "Retry the PDF" presses by one clinic: a render is shared work.
    "brief_retry_clinic": "10/hour",
    # Requests made with one API token: generous for a practice system, a brake on a loop.
    "api_token": "120/minute;3000/hour",
}


def init_app(app: Flask) -> None:
    """Open the counter storage: Redis when configured, else memory."""
    url = app.config.get("THROTTLE_STORAGE_URL") or app.config.get("REDIS_URL") or "memory://"
    storage = storage_from_string(url)
    app.extensions["intake_throttle"] = (storage, MovingWindowRateLimiter(storage))


def _limiter() -> MovingWindowRateLimiter:
    limiter: MovingWindowRateLimiter = current_app.extensions["intake_throttle"][1]
    return limiter


def limits_of(rule: str) -> list[RateLimitItem]:
    """The limits of a rule, from the configuration or RULES."""
    text = {**RULES, **(current_app.config.get("THROTTLE_RULES") or {})}[rule]
    return list(parse_many(text))


def _key(rule: str, key: Any) -> str:
    prefix = str(current_app.config.get("THROTTLE_PREFIX") or "intake")
    digest = hashlib.sha256(f"{rule}\0{key}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix}:{rule}:{digest[:32]}"


def wait(rule: str, key: Any) -> int:
    """Seconds until one more try is allowed (0: allowed now). Counts nothing."""
    try:
        limiter, name = _limiter(), _key(rule, key)
        longest = 0.0
        for item in limits_of(rule):
            if not limiter.test(item, name):
                stats = limiter.get_window_stats(item, name)
                longest = max(longest, stats.reset_time - time.time())
        return max(1, int(longest) + 1) if longest > 0 else 0
    except Exception:
        # The counters are a brake, not a gate: if Redis is away, say so and let it through.
        log.exception("throttle storage unavailable; %s not checked", rule)
        return 0


def hit(rule: str, key: Any) -> bool:
    """Count one try; True when this try used up a limit (the caller may record a lock)."""
    try:
        limiter, name, items = _limiter(), _key(rule, key), limits_of(rule)
        for item in items:
            limiter.hit(item, name)
        return any(not limiter.test(item, name) for item in items)
    except Exception:
        log.exception("throttle storage unavailable; %s not counted", rule)
        return False


def take(rule: str, key: Any) -> int:
    """Count one try if allowed; else the seconds to wait (and nothing is counted)."""
    seconds = wait(rule, key)
    if seconds:
        return seconds
    hit(rule, key)
    return 0


def clear(rule: str, key: Any) -> None:
    """Forget a key's tries (a successful sign-in clears that account's failures)."""
    try:
        limiter, name = _limiter(), _key(rule, key)
        for item in limits_of(rule):
            limiter.clear(item, name)
    except Exception:
        log.exception("throttle storage unavailable; %s not cleared", rule)


def reset(app: Flask) -> None:
    """Forget every counter (tests; the memory storage of a fresh process)."""
    app.extensions["intake_throttle"][0].reset()


def client_address() -> str:
    """The client's address (the proxy's X-Forwarded-For when TRUSTED_PROXIES says so)."""
    return request.remote_addr or "unknown"


def minutes(seconds: int) -> str:
    """A wait as people say it."""
    if seconds < 90:
        return "a minute"
    if seconds < 3600 + 1800:
        return f"{round(seconds / 60)} minutes"
    hours = round(seconds / 3600)
    return "an hour" if hours == 1 else f"{hours} hours"
