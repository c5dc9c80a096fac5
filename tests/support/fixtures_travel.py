"""Travel fixtures: a travel desk (the salon's business with published exchange rates), its
customer, and helpers to file a request and upload a document the way a client would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

RATES = {"USD": "1.0825", "AMD": "420.5", "CNY": "7.85", "IRR": "455000"}


@dataclass
class TravelDesk:
    business_id: str
    owner: Any  # SignedUp
    customer: Any  # SignedUp
    api: Any
    clock: Any

    def rates(self, rates: dict[str, str] | None = None, *, version: int, age: timedelta = timedelta(hours=1)) -> Any:
        body = {
            "base_currency": "EUR",
            "expected_version": version,
            "effective_at": (self.clock.now() - age).isoformat(),
            "rates": rates or RATES,
        }
        return self.api.put(f"/v1/businesses/{self.business_id}/exchange-rates", body, headers=self.owner.headers)

    def file(self, who: Any | None = None, **overrides: Any) -> dict[str, Any]:
        today = self.clock.now().date()
        body = {
            "business_id": self.business_id,
            "service_type": "tour",
            "destination": "Yerevan and Lake Sevan",
            "start_date": (today + timedelta(days=30)).isoformat(),
            "end_date": (today + timedelta(days=37)).isoformat(),
            "travellers": 2,
            "notes": "Vegetarian meals, please",
        } | overrides
        answer = self.api.post("/v1/travel-requests", body, headers=(who or self.customer).headers)
        assert answer.status == 201, answer.body
        return dict(answer.json)

    def staff_path(self, request_id: str, tail: str = "") -> str:
        return f"/v1/businesses/{self.business_id}/travel-requests/{request_id}{tail}"

    def upload(
        self,
        request_id: str,
        content: bytes = b"%PDF-1.7 passport",
        content_type: str = "application/pdf",
        *,
        sent_type: str | None = None,
        who: Any | None = None,
    ) -> str:
        """Ask for a form and POST the file as a browser would; returns the document id.
        ``sent_type`` posts another Content-Type than the form's (moto does not enforce it)."""
        import requests

        headers = (who or self.customer).headers
        form = self.api.post(
            f"/v1/travel-requests/{request_id}/documents", {"content_type": content_type}, headers=headers
        )
        assert form.status == 201, form.body
        fields = dict(form.json["fields"])
        if sent_type is not None:
            fields["Content-Type"] = sent_type
        posted = requests.post(form.json["url"], data=fields, files={"file": ("scan", content)}, timeout=10)
        assert posted.status_code in (200, 201, 204), posted.text
        return str(form.json["document_id"])

    def register(self, request_id: str, document_id: str, content_type: str = "application/pdf", **kw: Any) -> Any:
        body = {"kind": "passport_scan", "filename": "passport.pdf", "content_type": content_type} | kw
        path = f"/v1/travel-requests/{request_id}/documents/{document_id}"
        return self.api.put(path, body, headers=self.customer.headers)


@pytest.fixture
def travel_desk(api: Any, salon: Any, customer: Any, clock: Any, buckets: Any) -> TravelDesk:
    desk = TravelDesk(salon.business_id, salon.owner, customer, api, clock)
    published = desk.rates(version=0)
    assert published.status == 200, published.body
    return desk
