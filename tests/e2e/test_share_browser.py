"""Shareable state, presenter mode and the lesson in a real browser: a link opened in a fresh context shows
the same morph frame, the URL follows the controls, and the lesson runs end to end."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Browser, Page, expect

from e2e.test_browser import assert_healthy, wait_idle


def query(page: Page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query, keep_blank_values=True).items()}


def step_the_morph(page: Page, link: str, presses: int, shows: str) -> None:
    """Open a morph link at t = 0.30, press the slider's right arrow `presses` times, wait for `shows`."""
    page.goto(link)
    wait_idle(page)
    expect(page.get_by_text("Frame at t = 0.30")).to_be_visible(timeout=30_000)
    page.get_by_role("slider", name=re.compile("Mix t")).focus()
    for _ in range(presses):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_text(shows)).to_be_visible(timeout=30_000)
    wait_idle(page)


def test_a_shared_morph_link_opens_the_same_frame_in_a_fresh_context(browser: Browser, app_url):
    one = browser.new_context(viewport={"width": 1280, "height": 800})
    page = one.new_page()
    step_the_morph(page, app_url + "morph?from=4&to=9&path=data&t=0.3", 2, "Frame at t = 0.32")
    link = page.url
    assert query(page)["t"] == "0.32" and query(page)["from"] == "4" and query(page)["path"] == "data", link
    frame = page.get_by_test_id("stImage").first.locator("img").first.get_attribute("src")
    one.close()

    other = browser.new_context(viewport={"width": 400, "height": 800})
    page = other.new_page()
    page.goto(link)
    wait_idle(page)
    expect(page.get_by_text("Frame at t = 0.32")).to_be_visible(timeout=30_000)  # a busy machine: a fresh session
    expect(page.get_by_test_id("stSliderThumbValue").filter(has_text="0.32")).to_be_visible()
    assert page.get_by_test_id("stImage").first.locator("img").first.get_attribute("src") == frame
    page.reload()
    wait_idle(page)
    expect(page.get_by_text("Frame at t = 0.32")).to_be_visible(timeout=30_000)
    other.close()


def test_the_lesson_runs_end_to_end_in_presenter_mode(page: Page, app_url, console):
    page.goto(app_url + "?present=1")
    wait_idle(page)
    # presenter mode's larger type (its style is injected as the page runs: wait for it)
    page.wait_for_function("() => getComputedStyle(document.documentElement).fontSize === '22px'", timeout=30_000)
    page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_role("button", name=re.compile("Start the guided lesson")).click()
    wait_idle(page)
    titles, walked = [], False
    for n in range(1, 11):
        box = page.locator(".st-key-lesson_box")
        expect(box).to_contain_text(f"step {n} of 10")
        assert query(page)["lesson"] == str(n) and query(page)["present"] == "1", page.url
        titles.append(page.get_by_role("heading", level=1).first.inner_text())
        if "Scroll down to the walk" in box.inner_text():  # the link takes the class to the walk, lower down
            walk = page.get_by_role("heading", name="A walk on a class manifold")
            expect(walk).not_to_be_in_viewport()
            box.get_by_role("link", name="Scroll down to the walk").click()
            expect(walk).to_be_in_viewport(timeout=10_000)
            walked = True
        if n < 10:
            box.get_by_role("button", name=re.compile("Next")).click()
            wait_idle(page)
    assert titles[0] == "Latent Explorer" and titles[-1] == "Latent map" and "Morph" in titles, titles
    assert walked, "the walk step's link was not found"
    assert_healthy(page, console)


def test_the_share_link_follows_a_change_made_inside_a_fragment(page: Page, app_url, console):
    """The slider's frame is a fragment: moving it reruns only that part of the page. The link offered by
    "Share this view" must still be the page as it is now, not as the last full run left it."""
    page.set_viewport_size({"width": 1280, "height": 800})
    step_the_morph(page, app_url + "morph?from=4&to=9&t=0.3", 3, "Frame at t = 0.33")
    page.get_by_role("button", name=re.compile("Share this view")).click()
    link = page.get_by_test_id("stCode").filter(has_text="http")
    expect(link).to_be_visible(timeout=30_000)
    shared = link.inner_text().strip()
    params = {k: v[-1] for k, v in parse_qs(urlparse(shared).query).items()}
    assert params["t"] == "0.33" and params["from"] == "4" and params["to"] == "9", shared
    assert urlparse(shared).path.endswith("/morph"), shared
    assert_healthy(page, console)
