"""The web chat page in a real browser: a person's path from opening the page to the closing message.

Debian's Chromium, driven by Playwright with ``executable_path`` (no browser download), talks to
the real service on embedded defaults behind a real port. The person picks a theme with a button,
gives consent, taps options, ticks boxes, and types a number and an open answer in the text box.
Screenshots of a phone-sized window are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import BrowserContext, ConsoleMessage, Page, async_playwright, expect

from bot.service import Service
from bot.stores.sql.tables import answers, completions
from tests.support.service import settings_for
from tests.support.tables import rows as table_rows

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}  # a common phone size in CSS pixels
OPEN_ANSWER = "een overdekte hangplek met wifi, bel me 06-12345678"


def chromium_path() -> str:
    """Debian's Chromium; a missing browser is a set-up error, never a skip."""
    found = os.environ.get("PRAATMEE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found or not Path(found).exists():
        pytest.fail("Chromium is not installed: run `make browser` (apt-get install chromium)")
    return found


@pytest.fixture
async def base_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Service, str]]:
    """The real service on embedded defaults, on a real port the browser can reach."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    service = Service(settings_for("embedded", tmp_path / "var"))
    runner = web.AppRunner(service.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield service, f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def phone(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """A phone-sized Chromium window with a fresh profile."""
    executable = chromium_path()
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="nl-NL",
        )
        try:
            yield context
        finally:
            await context.close()


def _page_problem(msg: ConsoleMessage) -> bool:
    """A console error, except the browser's own favicon probe (the page has none)."""
    return msg.type == "error" and not str(msg.location.get("url", "")).endswith("/favicon.ico")


async def _bot_says(page: Page, text: str) -> None:
    await expect(page.locator(".msg.bot").last).to_contain_text(text, timeout=10_000)


async def _tap(page: Page, label: str) -> None:
    await page.get_by_role("button", name=label, exact=True).click()


async def _tick(page: Page, *labels: str) -> None:
    for label in labels:
        await page.get_by_role("checkbox", name=label, exact=True).check()
    await _tap(page, "Klaar")


async def _type(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Je bericht")
    await box.fill(text)
    await box.press("Enter")


async def test_a_person_finishes_a_theme_in_the_browser(
    base_url: tuple[Service, str], phone: BrowserContext, artifacts_dir: os.PathLike[str]
) -> None:
    service, url = base_url
    shots = Path(artifacts_dir)
    page = phone.pages[0] if phone.pages else await phone.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: problems.append(msg.text) if _page_problem(msg) else None)

    await page.goto(f"{url}/?gemeente=velsen")
    await _bot_says(page, "Waar wil je over praten?")
    await page.screenshot(path=shots / "webchat-1-start.png")

    await _tap(page, "Vrije tijd in je buurt")
    await expect(page.locator(".msg.me").last).to_have_text("Vrije tijd in je buurt")
    await _bot_says(page, "Doe je mee?")
    await _tap(page, "Ja")
    await _bot_says(page, "Waar ben je het vaakst")
    await _tap(page, "Park of plein")
    await _bot_says(page, "Hoe leuk is jouw buurt")
    await page.screenshot(path=shots / "webchat-2-scale.png")
    await page.locator(".options button").last.click()  # the highest mark
    await _bot_says(page, "Sport je elke week?")
    await _tap(page, "Nee")
    await _bot_says(page, "Wat houdt je tegen?")
    await expect(page.get_by_role("button", name="Klaar")).to_be_disabled()
    await expect(page.get_by_role("button", name="Overslaan")).to_be_visible()
    await expect(page.get_by_role("checkbox", name="Overslaan")).to_have_count(0)
    await page.get_by_role("checkbox", name="Te duur").check()
    await page.screenshot(path=shots / "webchat-3-multiple.png")
    await _tick(page, "Te duur", "Te ver weg")
    await expect(page.locator(".msg.me").last).to_have_text("Te duur, Te ver weg")
    await _bot_says(page, "Hoeveel euro per maand")
    box = page.get_by_role("textbox", name="Je bericht")
    await expect(box).to_be_focused()  # no extra tap on a phone, and the number keyboard
    await expect(box).to_have_attribute("inputmode", "decimal")
    await _type(page, "25")
    await _bot_says(page, "Voel je je veilig")
    await _tap(page, "Soms niet")
    await _bot_says(page, "Wat mis je in je buurt?")
    await _tick(page, "Plek om te chillen", "Meer licht op straat")
    await _bot_says(page, "Heb je een idee voor je buurt?")
    await _type(page, OPEN_ANSWER)
    await expect(page.locator(".msg.me").last).to_have_text(OPEN_ANSWER)
    await _bot_says(page, "Waar wil je over praten?")
    await expect(page.locator(".msg.bot").last).to_contain_text("Top, dank je wel!")
    await page.screenshot(path=shots / "webchat-4-closing.png")
    await page.screenshot(path=shots / "webchat-5-whole-chat.png", full_page=True)

    # No stale buttons: only the closing message's next-theme menu can still be pressed.
    assert await page.locator(".options").count() == 1
    assert await page.locator(".error").count() == 0
    assert problems == []

    assert service.db is not None
    rows = await table_rows(service.db, answers)
    done = await table_rows(service.db, completions)
    stored = {r["step_id"]: r for r in rows}
    assert all(r["municipality"] == "velsen" and r["dialogue_id"] == "vrije-tijd-buurt" for r in rows)
    assert json.loads(stored["plek"]["option_ids"]) == ["park"]
    assert json.loads(stored["buurt-cijfer"]["option_ids"]) == ["5"]
    assert json.loads(stored["sport"]["option_ids"]) == ["no"]
    assert json.loads(stored["waarom-niet"]["option_ids"]) == ["duur", "ver"]
    assert stored["kosten"]["number"] == 25.0
    assert json.loads(stored["avond-veilig"]["option_ids"]) == ["soms"]
    assert json.loads(stored["missen"]["option_ids"]) == ["chillplek", "licht"]
    idea = stored["idee"]["text"]
    assert "06-12345678" not in idea and "[TELEFOON]" in idea and "hangplek met wifi" in idea
    assert [r["dialogue_id"] for r in done] == ["vrije-tijd-buurt"]
