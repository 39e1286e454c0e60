"""The media topology of a room: who sends video to whom, and which signals may be relayed.

Everything else (the room, the stage, signalling transport) talks to this one small interface,
so that a media server (an SFU such as Janus's VideoRoom) can replace the browser mesh for large
rooms without touching the rest: an SFU adapter would answer `links_for` with a single link to
the server and relay offers to it instead of to peers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from flask import current_app


@dataclass(frozen=True)
class PeerLink:
    """One media connection a participant should hold."""

    peer_id: int
    send_video: bool
    receive_video: bool

    def as_dict(self) -> dict:
        return {"peer_id": self.peer_id, "send_video": self.send_video, "receive_video": self.receive_video}


class MediaTopology(Protocol):
    name: str

    def links_for(self, user_id: int, present: Iterable[int], stage: Iterable[int]) -> list[PeerLink]:
        """The connections `user_id` should hold, given who is present and who is on stage."""

    def may_signal(self, sender_id: int, addressee_id: int, present: Iterable[int]) -> bool:
        """Whether an offer / answer / candidate from sender may be relayed to addressee."""


class MeshTopology:
    """Every present participant connects to every other: audio both ways, video only from the
    stage (a browser holds only a few video publishers, hence the bounded stage)."""

    name = "mesh"

    def links_for(self, user_id: int, present: Iterable[int], stage: Iterable[int]) -> list[PeerLink]:
        on_stage = set(stage)
        peers = sorted(set(present) - {user_id})
        return [PeerLink(peer, user_id in on_stage, peer in on_stage) for peer in peers]

    def may_signal(self, sender_id: int, addressee_id: int, present: Iterable[int]) -> bool:
        members = set(present)
        return sender_id in members and addressee_id in members


_TOPOLOGIES: dict[str, type] = {"mesh": MeshTopology}


def register_topology(name: str, cls: type) -> None:
    """Make another topology (e.g. an SFU adapter) selectable with config MEDIA_TOPOLOGY."""
    _TOPOLOGIES[name] = cls


def topology() -> MediaTopology:
    """The configured topology (MEDIA_TOPOLOGY, default "mesh")."""
    return _TOPOLOGIES[current_app.config.get("MEDIA_TOPOLOGY", "mesh")]()


def stage_capacity() -> int:
    """How many video publishers a room's stage holds at once (EXPERT_STAGE_SIZE)."""
    return max(1, int(current_app.config.get("EXPERT_STAGE_SIZE", 4)))
