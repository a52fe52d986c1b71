"""The HubSpot emulator's list (v3) and sequence (v4) endpoints, over `ListStore` and
`SequenceStore`; mixed into `HubSpotEmulator` to keep its module to the CRM objects."""

from __future__ import annotations

from connectors.testing._hubspot_lists import ListStore
from connectors.testing._hubspot_sequences import SequenceStore
from connectors.testing.server import Request, Response, json_response

__all__ = ["MarketingRoutes"]


class MarketingRoutes:
    """Route handlers for lists and sequences; the emulator supplies ``lists`` and ``sequences``."""

    lists: ListStore
    sequences: SequenceStore

    def add_marketing_routes(self) -> None:
        r = self.route  # type: ignore[attr-defined]
        r("PUT", r"/crm/v3/lists/(?P<list_id>[^/]+)/memberships/add", self.add_to_list)
        r("GET", r"/crm/v3/lists/(?P<list_id>[^/]+)/memberships", self.list_memberships)
        r("GET", r"/automation/v4/sequences", self.list_sequences)
        r("POST", r"/automation/v4/sequences/enrollments", self.enroll)
        r("GET", r"/automation/v4/sequences/enrollments/contact/(?P<contact_id>[^/]+)", self.enrollment_of)

    def add_to_list(self, request: Request) -> Response:
        return json_response(self.lists.add(request.params["list_id"], request.json()))

    def list_memberships(self, request: Request) -> Response:
        limit = int(request.arg("limit", "100") or 100)
        return json_response(self.lists.page(request.params["list_id"], request.arg("after"), limit))

    def list_sequences(self, request: Request) -> Response:
        limit = max(1, min(100, int(request.arg("limit", "10") or 10)))
        return json_response(self.sequences.page(request.arg("userId"), request.arg("name"),
                                                 request.arg("after"), limit))

    def enroll(self, request: Request) -> Response:
        return json_response(self.sequences.enroll(request.arg("userId"), request.json() or {}))

    def enrollment_of(self, request: Request) -> Response:
        return json_response(self.sequences.for_contact(request.params["contact_id"]))
