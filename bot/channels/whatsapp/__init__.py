"""WhatsApp Cloud API channel (webhook + thin Graph API client).

See :class:`WhatsAppChannel`; settings in :class:`WhatsAppSettings`.
"""

from ._channel import WEBHOOK_PATH, WhatsAppChannel
from ._settings import DEFAULT_API_BASE_URL, Address, WhatsAppNumber, WhatsAppSettings

__all__ = [
    "DEFAULT_API_BASE_URL",
    "WEBHOOK_PATH",
    "Address",
    "WhatsAppChannel",
    "WhatsAppNumber",
    "WhatsAppSettings",
]
