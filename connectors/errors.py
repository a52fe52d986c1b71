"""Our own exception types for everything that crosses the process boundary.

ConnectorError                 a call to an external service failed
 ├── RetryableError            worth trying again: 429, 5xx, timeouts, dropped connections
 ├── Unsettled                an earlier attempt may have reached the service and a lookup
 │                             cannot tell yet (a search index that lags): leave it pending
 └── PermanentError            trying again will fail the same way
      ├── AuthError            401/403: credentials wrong, expired or missing a scope
      ├── NotFoundError        404: the object or endpoint does not exist
      └── InvalidRequestError  400/422: we sent something the service rejects
ConfigurationError             the deployment's settings are wrong (missing block, bad URL)

Each connector translates its client library's errors into these (``raise ... from err``),
so the retry policy and the flows handle all four services the same way.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ConfigurationError",
    "ConnectorError",
    "InvalidRequestError",
    "NotFoundError",
    "PermanentError",
    "RetryableError",
    "Unsettled",
    "error_for_status",
]


class ConnectorError(Exception):
    """A call to an external service failed."""

    def __init__(
        self, service: str, message: str, *, status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
        self.status = status
        self.retry_after = retry_after


class RetryableError(ConnectorError):
    """A transient failure; the retry policy tries again, honouring ``retry_after``."""


class Unsettled(ConnectorError):
    """An earlier attempt may have acted and the service cannot say yet whether it did.

    Neither a failure nor a success: the action stays pending and is looked up again later,
    never re-sent on a guess (HubSpot's search index lags its writes by seconds to minutes).
    """


class PermanentError(ConnectorError):
    """A failure that a retry would repeat."""


class AuthError(PermanentError):
    """The service refused our credentials."""


class NotFoundError(PermanentError):
    """The object or endpoint does not exist."""


class InvalidRequestError(PermanentError):
    """The service rejected the request as malformed."""


class ConfigurationError(Exception):
    """The deployment's configuration is wrong; the message says what to change."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (whole or fractional seconds), else None."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(seconds, 0.0)


def error_for_status(
    service: str, status: int | None, message: str, retry_after: str | None = None
) -> ConnectorError:
    """The exception type for an HTTP status; None means the connection itself failed."""
    kwargs = {"status": status, "retry_after": parse_retry_after(retry_after)}
    if status is None or status == 429 or status >= 500 or status == 408:
        return RetryableError(service, message, **kwargs)
    if status in (401, 403):
        return AuthError(service, message, **kwargs)
    if status == 404:
        return NotFoundError(service, message, **kwargs)
    if 400 <= status < 500:
        return InvalidRequestError(service, message, **kwargs)
    return PermanentError(service, message, **kwargs)
