"""What every part of the HubSpot connector shares: error translation, the retry policy, a
generic request for endpoints hubspot-api-client does not wrap, and "create unless it exists".

hubspot-api-client raises one ``ApiException`` class per sub-package (no common base) and
urllib3 errors for lost connections; `translated` turns both into ``connectors.errors``
types so the one `RetryPolicy` retries only what is worth retrying.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import urllib3
from hubspot import HubSpot

from connectors.errors import (
    ConnectorError,
    InvalidRequestError,
    NotFoundError,
    RetryableError,
    error_for_status,
)
from connectors.retry import Pacer, RetryPolicy

__all__ = ["SERVICE", "HubSpotBase", "translated"]

SERVICE = "hubspot"
T = TypeVar("T")


def translated(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call hubspot-api-client and turn its errors into ours."""
    try:
        return fn(*args, **kwargs)
    except urllib3.exceptions.HTTPError as err:
        raise RetryableError(SERVICE, f"connection failed: {err}") from err
    except Exception as err:  # each hubspot sub-package has its own ApiException class
        status = getattr(err, "status", None)
        is_api_error = any(cls.__name__ == "ApiException" for cls in type(err).__mro__)
        if not is_api_error or status is None:
            raise
        if status == 0:  # the client's own wrapper around a failed connection
            raise RetryableError(SERVICE, f"connection failed: {getattr(err, 'reason', err)}") from err
        raise _translate(err, status) from err


def _translate(err: Any, status: int) -> ConnectorError:
    headers = getattr(err, "headers", None) or {}
    retry_after = headers.get("Retry-After") if hasattr(headers, "get") else None
    body = (getattr(err, "body", "") or "")[:300]
    return error_for_status(SERVICE, status, f"HTTP {status}: {body}", retry_after)


class HubSpotBase:
    """The client, the policy and the clock; helpers for the connector's parts."""

    client: HubSpot
    policy: RetryPolicy
    clock: Callable[[], datetime]
    timeout: float
    _raw_client: Any = None

    pacer: Pacer

    def _translated(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One call, once the pacer allows it (HubSpot's burst limit, shared by every worker)."""
        self.pacer.wait()
        return translated(fn, *args, **kwargs)

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self.policy.call(self._translated, fn, *args, **kwargs)

    def _raw(self, method: str, path: str, *, query: dict[str, str] | None = None,
             body: Any = None) -> Any:
        """One request to an endpoint the client does not wrap (sequences), as a JSON value.

        Goes through a generated ``ApiClient`` rather than ``HubSpot.api_request``: it uses
        the configured host and retry settings and raises ``ApiException`` on errors, so
        `translated` applies; ``api_request`` ignores both and has no timeout.
        """
        if self._raw_client is None:
            self._raw_client = self.client.crm.objects.basic_api.api_client
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return self._raw_client.call_api(
            path, method, query_params=list((query or {}).items()), header_params=headers, body=body,
            response_types_map={200: "object", 201: "object"}, auth_settings=["oauth2"],
            _return_http_data_only=True, _preload_content=True, _request_timeout=self.timeout,
        )

    def _ensure(self, get: Callable[[], T], create: Callable[[], T]) -> T:
        """``get()``, else ``create()``; every attempt looks first, so a create whose answer
        was lost (or that a concurrent run made) is found instead of made twice."""

        def attempt() -> T:
            try:
                return self._translated(get)
            except NotFoundError:
                pass
            try:
                return self._translated(create)
            except InvalidRequestError as err:
                if err.status != 409:
                    raise
            return self._translated(get)

        return self.policy.call(attempt)
