"""Classroom checks only a browser (or the browser's protocol) can make: the system's dark theme and the
theme switch, the sidebar on a phone, the charts' camera button, keyboard access to the downloads, and a
slider drag that reruns only its fragment."""

from __future__ import annotations

import asyncio
import re
import sys
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import Browser, Page, expect

from conftest import ROOT
from e2e.test_browser import assert_healthy, open_page, wait_idle

sys.path.insert(0, str(ROOT / "benchmarks"))

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from st_client import FINAL_STATUSES, StreamlitSession  # noqa: E402

PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)


def _luminance(css_rgb: str) -> float:
    r, g, b = (int(v) for v in re.findall(r"\d+", css_rgb)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_the_app_follows_a_dark_system_theme_and_offers_the_switch(browser: Browser, app_url):
    shades = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(app_url + "similarity")
        wait_idle(page)
        shades[scheme] = _luminance(
            page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
        )
        if scheme == "light":  # the menu offers the choice, and choosing Dark darkens a light system's page
            page.get_by_test_id("stMainMenu").click()
            for choice in ("System", "Light", "Dark"):
                expect(page.get_by_test_id(f"stMainMenuItem-theme-{choice}")).to_be_visible()
            page.get_by_test_id("stMainMenuItem-theme-Dark").click()
            page.wait_for_timeout(500)
            shades["switched"] = _luminance(
                page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
            )
        context.close()
    assert shades["light"] > 0.9 and shades["dark"] < 0.2 and shades["switched"] < 0.2, shades


def test_on_a_phone_choosing_a_page_closes_the_sidebar(browser: Browser, app_url):
    context = browser.new_context(
        viewport={"width": 400, "height": 800}, user_agent=PHONE_UA, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(app_url)
    wait_idle(page)
    page.get_by_test_id("stExpandSidebarButton").click()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_be_visible()
    model = page.get_by_role("combobox", name="Model")
    page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().left >= 0")
    page.wait_for_timeout(500)  # the sidebar slides in
    box = model.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 400  # the picker fits the phone's sidebar
    nav.get_by_role("link", name="Styles", exact=True).click()
    wait_idle(page)
    expect(page.locator("h1").first).to_have_text("Styles")
    sidebar = page.get_by_test_id("stSidebar").bounding_box()
    assert sidebar is None or sidebar["x"] + sidebar["width"] <= 0  # folded away, the page is free
    context.close()


def test_charts_have_a_camera_button_in_the_chosen_format(page: Page, app_url, console):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_page(page, app_url, "Class similarity")
    chart = page.get_by_test_id("stPlotlyChart").first
    chart.hover()
    expect(chart.locator("[data-title='Download plot as a PNG']")).to_be_visible()
    page.get_by_test_id("stSidebar").get_by_role("radio", name="SVG").click()
    wait_idle(page)
    chart = page.get_by_test_id("stPlotlyChart").first
    chart.hover()
    expect(chart.locator("[data-title='Download plot']")).to_be_visible()  # plotly's title for other formats
    assert_healthy(page, console)


def test_the_downloads_are_reachable_with_the_keyboard(page: Page, app_url, console):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_page(page, app_url, "Class similarity")
    expect(page.get_by_role("button", name=re.compile("CSV of the counts"))).to_be_visible()
    page.locator("h1").first.click()
    seen = []
    for _ in range(80):  # Tab from the title until the confusion matrix's CSV button has the focus
        page.keyboard.press("Tab")
        seen.append(
            page.evaluate(  # a focused button's text (a focused container's text holds the whole page)
                "() => { const e = document.activeElement; "
                "return e && e.tagName === 'BUTTON' ? e.innerText.trim() : ''; }"
            )
        )
        if "CSV of the counts" in seen[-1]:
            break
    assert any("CSV of the KL" in s for s in seen) and "CSV of the counts" in seen[-1], " | ".join(seen)
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "confusion-matrix.csv"
    assert_healthy(page, console)


def test_a_morph_slider_move_reruns_only_its_fragment(app_url):
    """What a browser sends for a widget inside st.fragment: the server reruns the fragment alone, so the
    pickers, the strip and the cached figures are not redone on each key press."""

    async def drive():
        session = StreamlitSession(app_url)
        await session.connect()
        try:
            await session.open("morph")
            assert session._fragment_of("morph_t"), "the slider should be drawn inside a fragment"
            assert not session._fragment_of("morph_source")
            result = await session.set_widget("morph_t", double_array_value=[0.3])
            assert result.status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
            assert "Frame at t = 0.30" in result.texts()
            assert not result.of_kind("selectbox")  # the pickers were not rerun
            assert session.last.widget("morph_source") is not None  # ... and are still on the page
            full = await session.set_widget("morph_route", string_value="through the data")
            assert full.status in FINAL_STATUSES and full.status != ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
            assert "Frame at t = 0.30" in full.texts()  # t is kept by a full rerun too
        finally:
            await session.close()

    # pytest-playwright keeps an event loop running in this thread: run the client's loop in another one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, drive()).result()


def test_new_samples_rerun_only_their_fragment_not_the_walk(app_url):
    """Drawing new samples on the Sampling page redoes the three panels, not the walk's three charts."""

    async def drive():
        session = StreamlitSession(app_url)
        await session.connect()
        try:
            await session.open("sampling")
            assert session._fragment_of("samp_resample") and session._fragment_of("walk_step_size")
            assert session._fragment_of("samp_resample") != session._fragment_of("walk_step_size")
            result = await session.click("samp_resample")
            assert result.status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
            assert not result.of_kind("plotly_chart")  # the walk's charts were not sent again
            assert len(result.of_kind("metric")) == 3  # one "Recognised" per source
        finally:
            await session.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, drive()).result()


def test_twenty_arrow_presses_on_the_morph_slider_settle_on_the_last_value(page: Page, app_url, console):
    open_page(page, app_url, "Morph")
    strip = page.get_by_test_id("stImage").nth(1).locator("img").first.get_attribute("src")
    slider = page.get_by_role("slider", name=re.compile("Mix t"))
    slider.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_text("Frame at t = 0.70")).to_be_visible(timeout=60_000)
    wait_idle(page)
    assert page.get_by_test_id("stImage").nth(1).locator("img").first.get_attribute("src") == strip
    assert_healthy(page, console)
