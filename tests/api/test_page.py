"""The search page at / driven in headless Chromium (Debian's chromium + chromium-driver, through
Selenium): type a query, see hits, go to page 2, apply a filter chip, switch mode. Also the page's
HTTP side: CORS for other sites' boxes, cache headers."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from app.api.main import create_app
from app.bench.http_load import running_service
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents

BRANDS = ["Velorim", "Kestrel", "Nordwind"]
TYPES = ["山地车", "公路车"]


def _documents() -> list[Document]:
    return [
        Document(
            f"bike-{i:02d}",
            f"{BRANDS[i % 3]} 自行车 {i}",
            f"这是一辆适合通勤的自行车，编号 {i}。车架轻，刹车可靠，{TYPES[i % 2]}。",
            None,
            {"brand": BRANDS[i % 3], "type": TYPES[i % 2], "price": 100 * i},
        )
        for i in range(25)
    ]


def _browser_paths() -> tuple[str, str] | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


@pytest.fixture
def served(db_url: str, pool: ConnectionPool, tiny_m3: Embedder, tiny_m3_path: Path) -> Iterator[str]:
    upsert_documents(pool, tiny_m3, _documents())
    with running_service(db_url, {"EMBEDDING_MODEL": str(tiny_m3_path), "SEARCH_CACHE_SECONDS": "0"}) as base:
        deadline = time.monotonic() + 60
        while httpx.get(base + "/ready").json()["model"] != "ready":  # the model loads in the background
            assert time.monotonic() < deadline, "the model did not load"
            time.sleep(0.2)
        yield base


@pytest.fixture
def browser() -> Iterator[object]:
    paths = _browser_paths()
    if paths is None:
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are missing (apt-get install chromium chromium-driver)")
        pytest.skip("chromium/chromedriver not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for arg in ("--headless", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(paths[1]), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_search_page_in_a_browser(served: str, browser: object, db_url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait

    assert isinstance(browser, WebDriver)
    d = browser
    wait = WebDriverWait(d, 20)

    # read through the page's own JS, in one go: elements are replaced as results render
    def hit_ids() -> list[str]:
        return list(
            d.execute_script("return [...document.querySelectorAll('#results .hit')].map(e => e.dataset.id)")
        )

    def status() -> str:
        return str(d.execute_script("return document.getElementById('status').textContent"))

    def page_label() -> str:
        return str(d.execute_script("return document.getElementById('page').textContent"))

    def chip_count(label: str) -> int | None:
        return d.execute_script(  # type: ignore[no-any-return]
            "const c = [...document.querySelectorAll('#filters .chip')]"
            ".find(e => e.firstChild.textContent === arguments[0]);"
            "const n = c && c.querySelector('.count'); return n ? +n.textContent : null",
            label,
        )

    def active_chips() -> int:
        return int(d.execute_script("return document.querySelectorAll('#filters .chip.active').length"))

    d.get(served + "/")
    d.find_element(By.CSS_SELECTOR, "input[name=mode][value=keyword]").click()
    d.find_element(By.ID, "q").send_keys("自行车")  # search as you type: no Enter
    wait.until(lambda _: len(hit_ids()) == 10 and "of 25" in status())
    page1 = hit_ids()
    assert status().startswith("Results 1–10 of 25")
    # the chips count over the whole result (the API's facets), not over the ten hits shown
    wait.until(lambda _: chip_count("brand: Kestrel") == 8 and chip_count("brand: Velorim") == 9)
    marks = d.find_elements(By.CSS_SELECTOR, "#results .hit .snippet mark")
    assert marks and all(m.text == "自行车" for m in marks)
    assert "q=%E8%87%AA%E8%A1%8C%E8%BD%A6" in d.current_url and "mode=keyword" in d.current_url

    # Page 2: the next ten, none repeated.
    d.find_element(By.ID, "next").click()
    wait.until(lambda _: "Page 2" in page_label() and hit_ids() and hit_ids() != page1)
    page2 = hit_ids()
    assert len(page2) == 10 and not set(page1) & set(page2)
    assert status().startswith("Results 11–20")
    d.find_element(By.ID, "next").click()
    wait.until(lambda _: "Page 3" in page_label() and len(hit_ids()) == 5)
    assert not d.find_element(By.ID, "next").is_enabled()

    # A filter chip from the hits' metadata: only that brand remains, back on page 1.
    chip = next(
        c for c in d.find_elements(By.CSS_SELECTOR, "#filters .chip") if c.text.startswith("brand: Kestrel")
    )
    chip.click()
    wait.until(lambda _: active_chips() == 1 and len(hit_ids()) == 8)
    assert all(int(i.split("-")[1]) % 3 == 1 for i in hit_ids())
    assert "of 8" in status() and chip_count("brand: Velorim") == 9  # a field's own filter leaves its counts
    assert "filters=" in d.current_url and "Page 1" in page_label()
    # Removing it brings everything back.
    d.find_element(By.CSS_SELECTOR, "#filters .chip.active").click()
    wait.until(
        lambda _: len(hit_ids()) == 10 and not d.find_elements(By.CSS_SELECTOR, "#filters .chip.active")
    )

    # Hybrid mode answers too (the tiny model is loaded in the service).
    d.find_element(By.CSS_SELECTOR, "input[name=mode][value=hybrid]").click()
    wait.until(lambda _: "mode=keyword" not in d.current_url and len(hit_ids()) == 10)
    assert not d.find_element(By.ID, "notice").is_displayed()

    # A reload keeps the search (state lives in the URL).
    d.get(served + "/?q=%E5%88%B9%E8%BD%A6&mode=keyword")
    wait.until(lambda _: len(hit_ids()) == 10)
    assert d.find_element(By.ID, "q").get_attribute("value") == "刹车"

    # A click on a hit's title reaches the analysts' views (sendBeacon, then the events batch).
    third = hit_ids()[2]
    d.find_elements(By.CSS_SELECTOR, "#results .hit h2")[2].click()
    client = d.execute_script("return localStorage.getItem('hybrid-search:client')")
    deadline = time.monotonic() + 20
    with psycopg.connect(db_url, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT clicks, mean_clicked_position FROM search.click_stats WHERE query = '刹车'"
            ).fetchone()
            if row and row[0]:
                break
            assert time.monotonic() < deadline, "the click did not reach search.click_stats"
            time.sleep(0.3)
        assert row == (1, 3)
        event = conn.execute("SELECT doc_id, position, client FROM search.events").fetchone()
        assert event == (third, 3, client) and client


def test_suggestions_in_a_browser(served: str, browser: object) -> None:
    """Typing shows GET /suggest's completions (titles here); arrows move, Enter chooses, Escape closes."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait

    assert isinstance(browser, WebDriver)
    d = browser
    wait = WebDriverWait(d, 20)

    def shown() -> list[str]:
        return list(
            d.execute_script(
                "const l = document.getElementById('suggestions');"
                "return l.hidden ? [] : [...l.children].map(e => e.textContent)"
            )
        )

    def selected() -> list[str]:
        return [e.text for e in d.find_elements(By.CSS_SELECTOR, "#suggestions li[aria-selected=true]")]

    d.get(served + "/")
    box = d.find_element(By.ID, "q")
    box.send_keys("kes")
    wait.until(lambda _: len(shown()) == 8)
    api = httpx.get(served + "/suggest", params={"q": "kes", "limit": 8}).json()["suggestions"]
    assert shown() == [s["text"] for s in api]
    assert shown()[:3] == ["Kestrel 自行车 1", "Kestrel 自行车 4", "Kestrel 自行车 7"]  # shorter first
    box.send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN)
    assert selected() == ["Kestrel 自行车 4"]
    assert box.get_attribute("aria-activedescendant") == "suggestion-1"
    box.send_keys(Keys.ARROW_UP)
    assert selected() == ["Kestrel 自行车 1"]
    box.send_keys(Keys.ARROW_DOWN, Keys.ENTER)
    wait.until(lambda _: not shown() and "q=Kestrel" in d.current_url)
    assert box.get_attribute("value") == "Kestrel 自行车 4"
    wait.until(lambda _: d.find_elements(By.CSS_SELECTOR, "#results .hit"))

    # pinyin: the title's Han read as syllables, spaces dropped; Escape closes the list
    box.clear()
    box.send_keys("kestrel zixing")
    wait.until(lambda _: shown() and all(t.startswith("Kestrel 自行车") for t in shown()))
    box.send_keys(Keys.ESCAPE)
    wait.until(lambda _: not shown())
    assert box.get_attribute("value") == "kestrel zixing"
    # the mouse chooses too
    box.send_keys(Keys.BACKSPACE)
    wait.until(lambda _: shown())
    first = shown()[0]
    d.find_element(By.ID, "suggestion-0").click()
    wait.until(lambda _: not shown() and box.get_attribute("value") == first)


def test_search_page_http(served: str) -> None:
    page = httpx.get(served + "/")
    assert page.status_code == 200 and 'id="q"' in page.text
    assert page.headers["cache-control"] == "no-cache"
    for path in ("/static/search.js", "/static/search.css"):
        assert httpx.get(served + path).status_code == 200


def test_cors_and_cache_headers(pool: ConnectionPool, settings: Settings) -> None:
    s = settings.model_copy(update={"cors_origins": ["https://shop.example"], "search_cache_seconds": 45})
    with TestClient(create_app(s, pool=pool, models=ModelHolder.unavailable("no model in this test"))) as c:
        r = c.get(
            "/search", params={"q": "北京", "mode": "keyword"}, headers={"Origin": "https://shop.example"}
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://shop.example"
        assert r.headers["cache-control"] == "public, max-age=45"
        # another origin gets no CORS grant
        other = c.get(
            "/search", params={"q": "北京", "mode": "keyword"}, headers={"Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in other.headers
        # preflight for POST /search with a JSON body
        pre = c.options(
            "/search",
            headers={
                "Origin": "https://shop.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert pre.status_code == 200 and "POST" in pre.headers["access-control-allow-methods"]
        # degraded answers (hybrid without its model) and errors are not cached
        assert c.get("/search", params={"q": "北京"}).headers["cache-control"] == "no-cache"
        bad = c.get("/search", params={"q": "北京", "filters": "[1]"})
        assert bad.status_code == 422 and bad.headers["cache-control"] == "no-store"
    with TestClient(create_app(settings, pool=pool, models=ModelHolder.unavailable("x"))) as c:
        r = c.get(
            "/search", params={"q": "北京", "mode": "keyword"}, headers={"Origin": "https://shop.example"}
        )
        assert "access-control-allow-origin" not in r.headers  # CORS is off unless configured
