"""The API's rate limits: DRF's throttles, with their rates read from the settings at each request (DRF binds
them when the class is defined, so a changed setting would otherwise not count; the tests lower them).

Rates: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] in config/settings.py. Counts live in the default cache
(CACHES, CACHE_URL). Over a rate, the answer is 429 with Retry-After, in the API's error shape."""
from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class CurrentRates:
    """The throttle rates as the settings hold them now."""

    @property
    def THROTTLE_RATES(self):  # noqa: N802 - DRF's attribute name
        return api_settings.DEFAULT_THROTTLE_RATES


class UserRate(CurrentRates, UserRateThrottle):
    """Per user (an institution's token, or a signed-in user), all endpoints together."""


class AnonRate(CurrentRates, AnonRateThrottle):
    """Per client address, for requests without valid credentials."""


class PersonLookupRate(CurrentRates, UserRateThrottle):
    """Person look-ups (by psn_no or certno) per user: walking the register is refused, not only slowed."""

    scope = "person_lookup"


class PersonLookupDayRate(CurrentRates, UserRateThrottle):
    """Person look-ups per user and day."""

    scope = "person_lookup_day"
