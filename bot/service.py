"""The Praatmee service: stores, dialogues, understanding, runtime, channels and
the outbox worker, embedded in one aiohttp application.

``Service.app()`` returns the aiohttp app; its cleanup context opens everything
on start-up and closes it in reverse order on shutdown, so the same object runs
under ``praatmee serve``, in tests and in benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from actions import default_actions
from bot.channels.base import Channel, TemplateMessage
from bot.channels.webchat import WebChatChannel
from bot.config import Settings
from bot.conversation.menus import EngineContext
from bot.delivery.sender import Sender
from bot.delivery.worker import OutboxWorker
from bot.dialogue.catalog import Catalog
from bot.errors import ConfigError, StoreUnavailable
from bot.groups import GroupDesk, GroupStore
from bot.intake import Intake
from bot.keys import load_pseudonymiser, load_sealer
from bot.runtime import Runtime, RuntimeStores
from bot.stores.sql import AddressBook, Database, Inbox, InsightStore, Outbox
from bot.stores.state import MemoryStateStore, RedisStateStore, SqliteStateStore, StateStore
from bot.understanding import Understanding
from moderation.anonymiser import Anonymiser
from moderation.screen import Screener
from nlu.types import NluBackend

__all__ = ["Service"]

log = logging.getLogger(__name__)

#: A sent message that no status report settled within this long is let go.
UNCONFIRMED_FOR = timedelta(days=1)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Service:
    """Everything Praatmee runs. Build with settings; start with ``app()`` or ``open()``."""

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.settings = settings
        self.clock = clock
        self.catalog: Catalog | None = None
        self.db: Database | None = None
        self.state: StateStore | None = None
        self.insights: InsightStore | None = None
        self.outbox: Outbox | None = None
        self.runtime: Runtime | None = None
        self.inbox: Inbox | None = None
        self.intake: Intake | None = None
        self.worker: OutboxWorker | None = None
        self.groups: GroupDesk | None = None
        self.channels: dict[str, Channel] = {}
        self.nlu: NluBackend | None = None
        self._worker_task: asyncio.Task[None] | None = None
        self._stack = contextlib.AsyncExitStack()

    # --- lifecycle ---------------------------------------------------------------------------

    async def open(self) -> None:
        """Open stores, load dialogues, start channels and the worker. Fails whole."""
        try:
            await self._open()
        except BaseException:
            await self.close()
            raise

    async def _open(self) -> None:
        s = self.settings
        actions = default_actions()
        self.catalog = Catalog.load(
            [s.dialogues], municipalities=frozenset(s.municipalities), known_actions=frozenset(actions)
        )
        if not len(self.catalog):
            raise ConfigError(f"Config 'PRAATMEE_DIALOGUES' has no dialogue files in {s.dialogues}")
        self.db = await Database.open(s.resolved_database_url)
        self._stack.push_async_callback(self.db.close)
        self.state = await self._open_state()
        self._stack.push_async_callback(self.state.close)
        await self.state.ping()
        self.insights = InsightStore(self.db)
        self.outbox = Outbox(self.db)
        self.nlu = await self._open_nlu()
        sealer = load_sealer(s)
        self.worker = OutboxWorker(self.outbox, {}, self.insights, clock=self.clock)
        rates: dict[str, float] = {}
        self.groups = GroupDesk(
            GroupStore(self.db), self.state, self.insights, self.outbox, AddressBook(self.db), sealer,
            rates=rates, bot_username=s.telegram_bot_username, wake=self.worker.wake, clock=self.clock,
        )
        pseudonymiser = load_pseudonymiser(s)
        self.runtime = Runtime(
            ctx=EngineContext(self.catalog, s.municipalities, command_confidence=s.command_confidence),
            stores=RuntimeStores(self.state, self.insights, AddressBook(self.db), self.outbox),
            worker=self.worker,
            pseudonymiser=pseudonymiser,
            sealer=sealer,
            anonymiser=Anonymiser(),
            screener=Screener(),
            nlu=Understanding(self.nlu),
            actions=actions,
            clock=self.clock,
            groups=self.groups,
        )
        self._stack.push_async_callback(self.runtime.aclose)
        self.inbox = Inbox(self.db)
        self.intake = Intake(self.inbox, self.runtime, pseudonymiser, sealer, clock=self.clock)
        intake_task = asyncio.create_task(self.intake.run(), name="inbox")
        self._stack.push_async_callback(self._stop_task, intake_task)
        for channel in self._make_channels():
            await channel.initialize()
            self._stack.push_async_callback(channel.shutdown)
            self.channels[channel.name] = channel
        templates = {
            purpose: TemplateMessage(t["name"], t.get("language", "nl"))
            for purpose, t in s.whatsapp_templates.items()
        }
        for name, ch in self.channels.items():
            self.worker.add_sender(name, Sender(ch, sealer, templates=templates if name == "whatsapp" else None))
        self._worker_task = asyncio.create_task(self.worker.run(), name="outbox-worker")
        self._stack.push_async_callback(self._stop_task, self._worker_task)
        rates.update({name: ch.pacing.overall_per_second for name, ch in self.channels.items()})
        self.groups.start()
        self._stack.push_async_callback(self.groups.close)
        housekeeping = asyncio.create_task(self._housekeeping(), name="housekeeping")
        self._stack.push_async_callback(self._stop_task, housekeeping)
        self._start_digests()

    async def _housekeeping(self, every: float = 3600.0) -> None:
        """Every hour: expired de-duplication marks and mailboxes leave the state store, and
        sent messages whose platform never reported on them leave the outbox."""
        assert self.state is not None and self.outbox is not None
        while True:
            await asyncio.sleep(every)
            try:
                purged = await self.state.purge_expired()
                forgotten = await self.outbox.forget_unconfirmed(self.clock() - UNCONFIRMED_FOR)
            except (StoreUnavailable, SQLAlchemyError, OSError) as exc:
                log.warning("housekeeping failed: %s", type(exc).__name__)
            else:
                log.debug("housekeeping: %d expired keys purged, %d unconfirmed sends forgotten",
                          purged, forgotten)

    def _start_digests(self) -> None:
        """Weekly digests go out by e-mail when PRAATMEE_SMTP_HOST is configured."""
        from bot.digest.mail import SmtpSettings
        from bot.digest.scheduler import DigestJob
        from bot.digest.scheduler import run as run_digests

        smtp = SmtpSettings()
        if not smtp.configured or self.db is None or self.catalog is None:
            return
        job = DigestJob(self.db, self.catalog, self.settings.municipalities, smtp, self.clock)
        task = asyncio.create_task(run_digests(job), name="digest-scheduler")
        self._stack.push_async_callback(self._stop_task, task)

    @staticmethod
    async def _stop_task(task: asyncio.Task[None]) -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def close(self) -> None:
        await self._stack.aclose()

    async def _open_state(self) -> StateStore:
        kind = self.settings.resolved_state_store
        if kind == "redis":
            assert self.settings.redis_url
            return RedisStateStore.from_url(self.settings.redis_url, self.settings.redis_prefix)
        if kind == "memory":
            return MemoryStateStore()
        return await SqliteStateStore.open(self.settings.data_dir / "state.sqlite")

    async def _open_nlu(self) -> NluBackend | None:
        backend = self.settings.nlu_backend
        if backend == "keywords":
            return None
        from nlu.embedded import EmbeddedNlu

        embedded = await EmbeddedNlu.load(
            cache_dir=self.settings.nlu_cache_dir or self.settings.data_dir / "nlu-cache"
        )
        if backend == "embedded":
            return embedded
        from nlu.fallback import FallbackNlu
        from nlu.rasa_http import RasaHttpNlu

        if not self.settings.rasa_url:
            raise ConfigError("Config 'PRAATMEE_RASA_URL' is needed when PRAATMEE_NLU_BACKEND is rasa")
        token = self.settings.rasa_token.get_secret_value() if self.settings.rasa_token else None
        rasa = RasaHttpNlu(self.settings.rasa_url, token, embedded)
        self._stack.push_async_callback(rasa.close)
        return FallbackNlu(rasa, embedded)

    def _make_channels(self) -> list[Channel]:
        assert self.runtime is not None and self.state is not None
        channels: list[Channel] = [WebChatChannel(self.runtime, self.state, clock=self.clock)]
        assert self.intake is not None
        channels += _platform_channels(self.settings, self.runtime, self.intake)
        return channels

    # --- web ---------------------------------------------------------------------------------

    def app(self) -> web.Application:
        """The aiohttp application; opening and closing ride on its cleanup context."""
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.cleanup_ctx.append(self._lifespan)
        app.router.add_get("/healthz", self._healthz)
        app.on_startup.append(self._add_channel_routes)
        return app

    async def _lifespan(self, app: web.Application) -> AsyncIterator[None]:
        await self.open()
        yield
        await self.close()

    async def _add_channel_routes(self, app: web.Application) -> None:
        """Routes are added after the channels exist (cleanup_ctx runs first)."""
        for channel in self.channels.values():
            app.router.add_routes(channel.routes())

    async def health(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, details) of every store, channel and the NLU."""
        stores: dict[str, str] = {}
        ok = True
        for name, probe in (("state", self.state), ("database", self.db)):
            if probe is None:
                stores[name] = "not started"
                ok = False
                continue
            try:
                await probe.ping()
                stores[name] = f"ok ({_kind(probe)})"
            except StoreUnavailable as exc:
                stores[name] = f"unavailable: {exc}"
                ok = False
        channels = {name: ch.health() for name, ch in self.channels.items()}
        nlu_health = getattr(self.nlu, "health", None)
        nlu: Any = nlu_health() if callable(nlu_health) else {"status": "ok", "backend": self.settings.nlu_backend}
        details = {
            "status": "ok" if ok else "unavailable",
            "stores": stores,
            "channels": channels,
            "nlu": nlu,
            "dialogues": sorted(self.catalog.dialogues) if self.catalog else [],
            "outbox_pending": await self.outbox.pending() if self.outbox and ok else None,
            "inbox": await self.inbox.counts() if self.inbox and ok else None,
            # Since this process started: what became of what it sent (the window's
            # templates and held messages are counted, never silently dropped).
            "delivery": self.worker.counts() if self.worker else None,
        }
        return ok, details

    async def _healthz(self, request: web.Request) -> web.Response:
        ok, details = await self.health()
        return web.json_response(details, status=200 if ok else 503)


def _kind(store: object) -> str:
    if isinstance(store, Database):
        return store.dialect
    return str(getattr(store, "name", type(store).__name__))


def _platform_channels(settings: Settings, runtime: Runtime, intake: Intake) -> list[Channel]:
    """Telegram hands messages to the runtime directly; WhatsApp's webhook goes through the
    inbox (answered as soon as its messages are safe, handled right after)."""
    channels: list[Channel] = []
    if settings.telegram_token is not None:
        from bot.channels.telegram import TelegramChannel, TelegramSettings

        channels.append(
            TelegramChannel(
                TelegramSettings(
                    token=settings.telegram_token.get_secret_value(),
                    mode=settings.telegram_mode,
                    webhook_url=settings.telegram_webhook_url,
                    secret=settings.telegram_secret.get_secret_value() if settings.telegram_secret else None,
                    api_base_url=settings.telegram_api_base_url,
                    bot_username=settings.telegram_bot_username,
                ),
                runtime,
            )
        )
    whatsapp = _whatsapp_settings(settings)
    if whatsapp is not None:
        from bot.channels.whatsapp import WhatsAppChannel

        channels.append(WhatsAppChannel(whatsapp, intake))
    return channels


def _whatsapp_settings(settings: Settings) -> Any:
    import json

    from bot.channels.whatsapp import WhatsAppNumber, WhatsAppSettings

    numbers: list[WhatsAppNumber] = []
    if settings.whatsapp_numbers is not None:
        try:
            raw = json.loads(settings.whatsapp_numbers.get_secret_value())
            numbers = [WhatsAppNumber(str(n["phone_number_id"]), n["municipality"], n["access_token"]) for n in raw]
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                "Config 'PRAATMEE_WHATSAPP_NUMBERS' must be a JSON list of "
                '{"phone_number_id", "municipality", "access_token"}'
            ) from exc
    elif settings.whatsapp_phone_number_id:
        if settings.whatsapp_access_token is None:
            raise ConfigError("Config 'PRAATMEE_WHATSAPP_ACCESS_TOKEN' is needed with PRAATMEE_WHATSAPP_PHONE_NUMBER_ID")
        municipality = settings.whatsapp_municipality or next(iter(settings.municipalities))
        numbers = [WhatsAppNumber(settings.whatsapp_phone_number_id, municipality,
                                  settings.whatsapp_access_token.get_secret_value())]
    if not numbers:
        return None
    if settings.whatsapp_app_secret is None or settings.whatsapp_verify_token is None:
        raise ConfigError("Config 'PRAATMEE_WHATSAPP_APP_SECRET' and 'PRAATMEE_WHATSAPP_VERIFY_TOKEN' are needed for WhatsApp")
    for n in numbers:
        if n.municipality not in settings.municipalities:
            raise ConfigError(f"Config 'PRAATMEE_WHATSAPP_NUMBERS' names unknown municipality {n.municipality!r}")
    return WhatsAppSettings(
        numbers=tuple(numbers),
        app_secret=settings.whatsapp_app_secret.get_secret_value(),
        verify_token=settings.whatsapp_verify_token.get_secret_value(),
        api_base_url=settings.whatsapp_api_base_url,
        overall_per_second=settings.whatsapp_throughput,
    )
