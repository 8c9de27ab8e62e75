"""The local web chat channel (page + JSON API)."""

from bot.channels.webchat._api import ApiError, WebChatRequest, parse_request
from bot.channels.webchat._channel import Mailbox, WebChatChannel

__all__ = ["ApiError", "Mailbox", "WebChatChannel", "WebChatRequest", "parse_request"]
