"""Desk fixtures: the pharmacy's shop (real prescriptions, in-process insurer) is shared."""

from __future__ import annotations

import pytest

from tests.pharmacy.conftest import Shop, shop  # noqa: F401

PATIENT = "13800000001"


@pytest.fixture
def dispensed(shop):  # noqa: F811
    """Make n paid, dispensed orders for the demo patient; returns their delivery ids."""

    def make(n: int = 1, lines=None) -> list[int]:
        ids = []
        for _ in range(n):
            pid = shop.rx.add(shop.user(PATIENT).id, **({"lines": lines} if lines else {}))
            order = shop.pay(PATIENT, pid).get_json()
            answer = shop.client.post(f"/api/orders/{order['id']}/dispense", headers=shop.login("pharm01"))
            ids.append(answer.get_json()["delivery"]["id"])
        return ids

    return make
