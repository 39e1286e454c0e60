"""The prescription PDF's QR code names the server that made it: a server on a non-default port,
with no PUBLIC_BASE_URL set, prints a verify link that answers (decoded from the PDF with pyzbar)."""

from __future__ import annotations

import io

import pytest
import requests
from pypdf import PdfReader

from tests.conftest import LiveServer, _copy_db
from tests.journey.helpers import HYPERTENSION, PATIENT, approved_prescription, bearer

pytestmark = pytest.mark.live


class HttpClient:
    """The few calls of the demo helpers, over HTTP to a live server (as the Flask test client)."""

    def __init__(self, base: str):
        self.base = base

    def _send(self, method: str, path: str, headers=None, json=None):
        response = requests.request(method, self.base + path, headers=headers or {}, json=json, timeout=30)
        response.get_json = response.json
        return response

    def get(self, path, headers=None, **kwargs):
        return self._send("GET", path, headers, **kwargs)

    def post(self, path, headers=None, **kwargs):
        return self._send("POST", path, headers, **kwargs)


def test_qr_of_a_server_on_another_port_verifies(demo_template_db, tmp_path):
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    from PIL import Image

    server = LiveServer(
        _copy_db(demo_template_db, tmp_path / "qr.db"), tmp_path / "qr.log", env={"PUBLIC_BASE_URL": ""}
    )
    try:
        assert server.port != 5000
        client = HttpClient(server.url)
        rx = approved_prescription(client, HYPERTENSION)
        pdf = requests.get(
            f"{server.url}/api/prescriptions/{rx['id']}.pdf", headers=bearer(client, PATIENT), timeout=30
        )
        assert pdf.status_code == 200 and pdf.headers["Content-Type"].startswith("application/pdf")
        image = Image.open(io.BytesIO(next(iter(PdfReader(io.BytesIO(pdf.content)).pages[0].images)).data))
        url = pyzbar.decode(image.convert("L"))[0].data.decode()
        assert url.startswith(f"http://127.0.0.1:{server.port}/api/prescriptions/verify/")
        answer = requests.get(url, timeout=30)  # a pharmacy's scanner, with no login
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["code"] == rx["code"] and body["genuine"] and body["approved"] and body["valid"]
    finally:
        server.stop()
