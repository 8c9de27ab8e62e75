"""A headless Chromium renders the digest on a desktop and on a phone; the page is readable.

Screenshots go to the test's folder (or PRAATMEE_SCREENSHOT_DIR, to look at them).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from bot.config import DEFAULT_DIALOGUES
from bot.dialogue.catalog import Catalog
from bot.digest.build import DigestBuilder
from bot.digest.feedback import FeedbackNote, FeedbackStore
from bot.digest.queries import InsightQueries, Scope
from bot.digest.render import render
from bot.stores.sql.database import Database
from tests.digest.seed import at, seed_direct

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


@pytest.mark.browser
async def test_digest_screenshot_on_desktop_and_phone(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    db = await Database.open(f"sqlite:///{tmp_path / 'digest.sqlite'}")
    try:
        catalog = Catalog.load([DEFAULT_DIALOGUES])
        await seed_direct(db, catalog, "beverwijk", people=20, seed=1)
        store = FeedbackStore(db)
        await store.record(FeedbackNote("beverwijk", "dialogue", "vrije-tijd-buurt", "adopted",
                                        "Er komt een nieuw sportveld bij de school."), at("2026-W47"))
        builder = DigestBuilder(InsightQueries(db), store, catalog, {"beverwijk": "Beverwijk"})
        digest = await builder.build(Scope("beverwijk"), "2026-W47", "nl")
    finally:
        await db.close()
    page_file = tmp_path / "digest.html"
    page_file.write_text(render([digest], inline_images=True).html, encoding="utf-8")
    out = Path(os.environ.get("PRAATMEE_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for name, width in (("desktop", 1000), ("phone", 390)):
                page = await browser.new_page(viewport={"width": width, "height": 800})
                await page.goto(page_file.as_uri())
                shot = await page.screenshot(full_page=True)
                (out / f"digest-{name}.png").write_bytes(shot)
                w, h = _png_size(shot)
                assert w == width and h > 2000  # the whole digest, not an empty page
                # Nothing sticks out sideways on a phone: the page is no wider than the screen.
                assert await page.evaluate("document.documentElement.scrollWidth") <= width
                # Every chart loaded and has a text alternative.
                charts = await page.query_selector_all("img.chart")
                assert charts
                for img in charts:
                    assert await img.evaluate("i => i.complete && i.naturalWidth > 0")
                    assert await img.get_attribute("alt")
                assert "Beverwijk" in await page.inner_text("h1")
                await page.close()
        finally:
            await browser.close()
