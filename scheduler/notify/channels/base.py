"""The channel interface."""

from __future__ import annotations

from abc import ABC, abstractmethod

from scheduler.notify.messages import Message


class ChannelError(Exception):
    """The channel did not take the message (down, refused, timed out); the text names the
    server without any credential. Whatever the cause, the sender tries again later: an
    error that does not mend by itself (a wrong password) is shown until it is fixed."""


class Channel(ABC):
    name: str  # stored with each event it has taken: "email", "webhook"

    @abstractmethod
    def send(self, message: Message) -> None:
        """Deliver `message`, or raise ChannelError. Returns once the server has accepted it;
        an answer lost after that (a timeout) raises, and the message is sent again."""

    @abstractmethod
    def describe(self) -> str:
        """Where it sends, for `crier notify test`: no credential, no token."""
