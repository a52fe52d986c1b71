"""Salesforce errors: simple-salesforce's exceptions translated into ours.

simple-salesforce raises one exception per HTTP status but keeps no headers, so a response
hook remembers ``Retry-After`` per thread for the translation to pick up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import requests
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from connectors.errors import (
    AuthError,
    ConnectorError,
    InvalidRequestError,
    NotFoundError,
    PermanentError,
    RetryableError,
    error_for_status,
    parse_retry_after,
)

__all__ = ["SERVICE", "RequestLimitExceeded", "error_codes", "remember_retry_after", "translated"]

SERVICE = "salesforce"


class RequestLimitExceeded(PermanentError):
    """The org's API request allowance is used up (403 REQUEST_LIMIT_EXCEEDED): stop the
    sync cleanly, keep the cursor, try again after the rolling 24-hour window frees up."""


# Retry-After is not on simple-salesforce's exceptions: a response hook remembers it per
# thread, and the translation picks it up when the error is for the same URL.
_last_response = threading.local()


def _remember(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    _last_response.url = response.url
    _last_response.retry_after = response.headers.get("Retry-After")


def remember_retry_after(session: requests.Session) -> None:
    hooks = session.hooks.setdefault("response", [])
    if _remember not in hooks:
        hooks.append(_remember)


def _retry_after(err: SalesforceError) -> str | None:
    if getattr(_last_response, "url", None) == err.url:
        return _last_response.retry_after
    return None


def _errors(err: SalesforceError) -> list[dict[str, Any]]:
    content = err.content
    if isinstance(content, list):
        return [e for e in content if isinstance(e, dict)]
    if isinstance(content, dict):
        return [content]
    return []


def error_codes(err: SalesforceError) -> set[str]:
    return {str(e.get("errorCode")) for e in _errors(err)}


def _message(err: SalesforceError) -> str:
    parts = [f"{e.get('errorCode')}: {e.get('message')}" for e in _errors(err)]
    return f"HTTP {err.status}: " + ("; ".join(parts) if parts else str(err.content)[:300])


def translated(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call simple-salesforce and turn its errors into ours."""
    try:
        return fn(*args, **kwargs)
    except SalesforceError as err:
        raise _translate(err) from err
    except requests.exceptions.SSLError as err:
        if "CERTIFICATE_VERIFY_FAILED" in str(err):
            raise PermanentError(SERVICE, f"TLS certificate not trusted: {err}") from err
        raise RetryableError(SERVICE, f"TLS connection failed: {err}") from err
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
            requests.exceptions.ChunkedEncodingError) as err:
        raise RetryableError(SERVICE, f"connection failed: {err}") from err


def _translate(err: SalesforceError) -> ConnectorError:
    status = err.status
    message = _message(err)
    if isinstance(err, SalesforceExpiredSession):
        return AuthError(SERVICE, f"session expired: renew the Salesforce block's "
                                  f"session/credentials ({message})", status=status)
    if isinstance(err, SalesforceAuthenticationFailed):
        return AuthError(SERVICE, f"login failed: check the Salesforce block ({err})", status=status)
    if isinstance(err, SalesforceRefusedRequest):
        if "REQUEST_LIMIT_EXCEEDED" in error_codes(err):
            if "concurrent" in message.lower():  # too many long requests at once: transient
                return RetryableError(SERVICE, message, status=status,
                                      retry_after=parse_retry_after(_retry_after(err)))
            return RequestLimitExceeded(SERVICE, f"API request limit exceeded: {message}",
                                        status=status)
        return AuthError(SERVICE, f"request refused: {message}", status=status)
    if isinstance(err, (SalesforceMalformedRequest, SalesforceMoreThanOneRecord)):
        return InvalidRequestError(SERVICE, message, status=status)
    if isinstance(err, SalesforceResourceNotFound):
        return NotFoundError(SERVICE, message, status=status)
    # SalesforceGeneralError: 5xx and 429 are retried (honouring Retry-After), others not.
    return error_for_status(SERVICE, status, message, _retry_after(err))
