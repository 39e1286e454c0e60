"""How an envelope reaches the insurer and its answer comes back: `InProcessTransport` hands it to
the mock insurer in this process (as JSON, like the wire), `HttpTransport` posts it to the
insurer's service path. The gateway (insurance.gateway) speaks the national platform's vocabulary
over either; the two differ only here."""

from __future__ import annotations

import abc
import json
import time
from collections.abc import Callable

import urllib3

from insurance.mock_insurer.faults import SimulatedTimeout


class TransportError(Exception):
    """The message may or may not have arrived; no answer came back."""


class Transport(abc.ABC):
    @abc.abstractmethod
    def send(self, envelope: dict, timeout: float) -> dict:
        """One envelope out, its answer back, or TransportError."""


class InProcessTransport(Transport):
    """Hands the envelope (as JSON, like the wire) to the mock insurer in this process."""

    def __init__(self, insurer_for: Callable[[], object]):
        self.insurer_for = insurer_for

    def send(self, envelope: dict, timeout: float) -> dict:
        started = time.monotonic()
        try:
            answer = self.insurer_for().handle(json.loads(json.dumps(envelope)))
        except SimulatedTimeout:
            raise TransportError("timed out (the answer was lost)") from None
        if time.monotonic() - started > timeout:
            raise TransportError("timed out (the answer came too late)")
        return json.loads(json.dumps(answer))


class HttpTransport(Transport):
    """POSTs the envelope as JSON to the insurer's service path, over one pool of kept-alive
    connections for the process (urllib3, which sets TCP_NODELAY). Not a session per thread: under
    gevent a thread-local is request-local, and each payment opened new connections. urllib3
    itself rather than requests: one POST of JSON needs none of requests' per-call work (proxy
    and netrc look-ups in the environment, cookie jars, hooks), which cost more CPU than the call.
    No retries here: NhsaGateway.call retries with the same msgid."""

    POOL_SIZE = 32  # connections kept alive to the insurer; more concurrent calls open extra ones
    HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}

    def __init__(self, base_url: str, path: str = "/fsi/api/rsfComIfsService/callService"):
        self.url = base_url.rstrip("/") + path
        self.pool = urllib3.PoolManager(num_pools=1, maxsize=self.POOL_SIZE, retries=False)

    def send(self, envelope: dict, timeout: float) -> dict:
        body = json.dumps(envelope, ensure_ascii=False).encode()
        try:
            reply = self.pool.request(
                "POST",
                self.url,
                body=body,
                headers=self.HEADERS,
                timeout=urllib3.Timeout(connect=min(timeout, 2.0), read=timeout),
            )
        except urllib3.exceptions.HTTPError as err:
            raise TransportError(type(err).__name__) from None
        if reply.status >= 500 or reply.status == 404:
            raise TransportError(f"HTTP {reply.status}")
        try:
            return json.loads(reply.data)
        except ValueError:
            raise TransportError("not JSON") from None
