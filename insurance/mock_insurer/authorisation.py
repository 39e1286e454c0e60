"""Authorising an e-voucher payment the way the national app does.

The hospital asks (M005) for an authorisation request naming the resident, the amount and where
to send him back; the insurer answers with the address of its own page. There the patient sees
who he is and what he is asked to pay, and confirms (or scans the page's QR code with his phone
in the demo); the insurer then sends him back to the hospital with a short-lived e-voucher token
(ecToken) and the hospital's `state`. Nothing is typed and no code is copied.

The request travels sealed under the insurer's key, so neither the amount, the person nor the
address to return to can be changed on the way, and it expires.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from insurance.envelope import fen, yuan
from insurance.mock_insurer import tokens
from insurance.mock_insurer.common import Refusal
from insurance.mock_insurer.constants import AUTHORIZE_PATH
from insurance.mock_insurer.models import MiPerson

KIND = "auth1"


class AuthorisationRefused(Exception):
    """Why the insurer's page cannot go on: forged, expired, not_insured."""

    def __init__(self, reason: str, return_url: str | None = None):
        super().__init__(reason)
        self.reason, self.return_url = reason, return_url


def with_query(url: str, **params: str) -> str:
    """`url` with these query parameters added."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class Authorisation:
    """Mixed into MockInsurer: M005 (the hospital's request) and the patient's page."""

    def _request_authorisation(self, session: Session, inp: dict) -> dict:
        """M005: a sealed request for the patient to confirm on the insurer's page."""
        data = inp.get("data", {})
        return_url = str(data.get("return_url", ""))
        if not return_url or not (return_url.startswith("/") or urlsplit(return_url).scheme in ("http", "https")):
            raise Refusal("bad_return_url", "缺少返回地址")
        person = self._insured_person(session, str(data.get("certno", "")), data.get("psn_name"))
        session.commit()
        expires = clock.now() + timedelta(seconds=int(self.policy["authorisation_request_ttl_seconds"]))
        sealed = tokens.seal(
            self.secret,
            {
                "k": KIND,
                "psn": person.psn_no,
                "amount": fen(str(data.get("amount", "0"))),
                "org": str(data.get("org_name", ""))[:64],
                "back": return_url,
                "state": str(data.get("state", ""))[:64],
                "lang": "en" if data.get("lang") == "en" else "zh",
                "exp": int(expires.timestamp()),
            },
        )
        return {
            "authorize_path": f"{AUTHORIZE_PATH}?{urlencode({'req': sealed})}",
            "expires_at": expires.isoformat(),
            "psn_name": person.psn_name,
        }

    def _open_request(self, sealed: str) -> dict:
        try:
            content = tokens.unseal(self.secret, sealed)
        except tokens.TokenError:
            raise AuthorisationRefused("forged") from None
        if content.get("k") != KIND:
            raise AuthorisationRefused("forged")
        if datetime.fromtimestamp(content["exp"], UTC) <= clock.now():
            raise AuthorisationRefused("expired", content["back"])
        return content

    def read_authorisation(self, sealed: str) -> dict:
        """What the insurer's page shows: the person, the amount, who asks, where he goes back to."""
        content = self._open_request(sealed)
        with self.sessions() as session:
            person = session.scalar(select(MiPerson).filter_by(psn_no=content["psn"]))
            if person is None:
                raise AuthorisationRefused("not_insured", content["back"])
            return {
                "psn_name": person.psn_name,
                "certno_masked": person.certno_masked,
                "insutype": person.insutype,
                "insuplc_admdvs": person.insuplc_admdvs,
                "balance": yuan(person.balc),
                "amount": yuan(content["amount"]),
                "org": content["org"],
                "lang": content["lang"],
                "return_url": content["back"],
            }

    def confirm_authorisation(self, sealed: str) -> str:
        """The patient confirmed: back to the hospital with a fresh voucher token and its state."""
        content = self._open_request(sealed)
        ttl = int(self.policy["authorised_voucher_ttl_seconds"])
        token = tokens.issue(self.secret, content["psn"], clock.now(), ttl)
        return with_query(content["back"], ec_token=token, state=content["state"])

    def cancel_authorisation(self, sealed: str) -> str:
        """The patient declined: back to the hospital, saying so."""
        try:
            content = tokens.unseal(self.secret, sealed)
        except tokens.TokenError:
            raise AuthorisationRefused("forged") from None
        if content.get("k") != KIND:
            raise AuthorisationRefused("forged")
        return with_query(content.get("back", "/"), insurer_error="cancelled", state=content.get("state", ""))
