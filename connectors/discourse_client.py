"""A pydiscourse client whose calls share one kept-alive HTTP session.

pydiscourse sends every call with ``requests.request``, which opens a new connection each
time (over TLS, a handshake per call: about half of a pull's CPU at scale). This client
keeps pydiscourse's API and its answer handling but sends through one ``requests.Session``
(connection pooling, keep-alive). It also does not sleep on 429s itself: it raises
``DiscourseRateLimitedError`` at once, so our `RetryPolicy` is the only one that waits
(it honours ``Retry-After``).
"""

from __future__ import annotations

from typing import Any

import requests
from pydiscourse import DiscourseClient
from pydiscourse.exceptions import (
    DiscourseClientError,
    DiscourseError,
    DiscourseRateLimitedError,
    DiscourseServerError,
)

__all__ = ["SessionDiscourseClient"]

_JSON = "application/json; charset=utf-8"


class SessionDiscourseClient(DiscourseClient):
    """`DiscourseClient` over one `requests.Session` (kept alive, pooled)."""

    def __init__(self, host: str, api_username: str, api_key: str, timeout: float | None = None,
                 session: requests.Session | None = None) -> None:
        super().__init__(host, api_username=api_username, api_key=api_key, timeout=timeout)
        self.session = session or requests.Session()

    def _request(self, verb: str, path: str, params: Any = None, files: Any = None, data: Any = None,
                 json: Any = None, override_request_kwargs: dict[str, Any] | None = None) -> Any:
        headers = {"Accept": _JSON, "Api-Key": self.api_key, "Api-Username": self.api_username}
        kwargs: dict[str, Any] = {"allow_redirects": False, "params": params, "files": files, "data": data,
                                  "json": json, "headers": headers, "timeout": self.timeout}
        kwargs.update(override_request_kwargs or {})
        response = self.session.request(verb, self.host + path, **kwargs)
        if not response.ok:
            message = _message(response)
            if response.status_code == 429:
                raise DiscourseRateLimitedError(message, response=response)
            if 400 <= response.status_code < 500:
                raise DiscourseClientError(message, response=response)
            raise DiscourseServerError(message, response=response)
        if response.status_code == 302:
            raise DiscourseError("Unexpected Redirect, invalid api key or host?", response=response)
        if response.headers.get("content-type") != _JSON:
            if not response.content.strip():
                return None  # some calls answer with an empty document
            raise DiscourseError(f'Invalid Response, expecting "{_JSON}" got '
                                 f'"{response.headers.get("content-type")}"', response=response)
        try:
            decoded = response.json()
        except ValueError as err:
            raise DiscourseError("failed to decode response", response=response) from err
        if isinstance(decoded, dict) and decoded.get("errors"):
            raise DiscourseError(decoded.get("message") or ",".join(map(str, decoded["errors"])), response=response)
        return decoded


def _message(response: requests.Response) -> str:
    """The error Discourse gives (its ``errors`` joined), else the reason or the status and body."""
    try:
        return ",".join(map(str, response.json()["errors"]))
    except (ValueError, TypeError, KeyError):
        return response.reason or f"{response.status_code}: {response.text}"
