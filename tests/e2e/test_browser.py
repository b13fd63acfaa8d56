"""What only a real browser can check: drawing with the mouse, clicking chart markers, dragging a
slider, every page free of exceptions and console errors, and screenshots at two widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import ROOT
from drawing import STROKES
from latent.inputs.handwriting import LETTERS

PAGES = {  # sidebar label -> url path
    "Home": "",
    "Latent map": "latent_map",
    "Styles": "styles",
    "Morph": "morph",
    "Sampling & manifold": "sampling",
    "Class similarity": "similarity",
    "Draw": "draw",
    "Model report": "report",
}
TITLES = {"Home": "Latent Explorer"}  # a page's title where it differs from its sidebar label
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 400, "height": 800}


def wait_idle(page: Page, timeout: float = 60_000) -> None:
    """Wait until the script run triggered by the last action has finished and nothing is spinning."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => { const app = document.querySelector('[data-testid=stApp]');"
        " return app && app.getAttribute('data-test-script-state') === 'notRunning'"
        " && !document.querySelector('[data-testid=stSpinner]'); }",
        timeout=timeout,
    )
    page.wait_for_timeout(400)  # let charts and images paint


def open_page(page: Page, app_url: str, label: str) -> None:
    """Open the home page, then the page by its sidebar link (as a visitor would)."""
    page.goto(app_url)
    nav = page.get_by_test_id("stSidebarNav")
    nav.wait_for()
    if label != "Home":
        nav.get_by_role("link", name=label, exact=True).click()
        # On a slow machine the click's rerun may not have started within wait_idle's first pause, which
        # would then see the home page idle: wait for this page's own address and title first.
        expect(page).to_have_url(re.compile(rf"/{PAGES[label]}(\?|$)"), timeout=60_000)
        expect(page.locator("h1").first).to_have_text(TITLES.get(label, label), timeout=60_000)
    wait_idle(page)


def assert_healthy(page: Page, console) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert console() == []


def full_screenshot(page: Page, path, viewport: dict) -> None:
    """The whole page at this width (the viewport grown to the content's height), then restored."""
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"], int(height))})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)


# --------------------------------------------------------------------------- every page, two widths


def test_every_page_opens_cleanly_and_is_screenshotted(page: Page, app_url, console, screenshots):
    page.set_viewport_size(WIDE)
    for label, slug in PAGES.items():
        open_page(page, app_url, label)
        expect(page.locator("h1").first).to_be_visible()
        assert_healthy(page, console)
        name = slug or "home"
        page.screenshot(path=str(screenshots / f"{name}-1280x800.png"))
        full_screenshot(page, screenshots / f"{name}-1280-full.png", WIDE)


def test_every_page_reads_at_400px(page: Page, app_url, console, screenshots):
    page.set_viewport_size(NARROW)
    for label, slug in PAGES.items():
        page.goto(app_url + slug)
        wait_idle(page)
        expect(page.locator("h1").first).to_be_visible()
        assert_healthy(page, console)
        # nothing wider than the screen: no horizontal scrolling of the page itself
        overflow = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollWidth")
        assert overflow <= NARROW["width"] + 1, f"{label} is {overflow}px wide at 400px"
        full_screenshot(page, screenshots / f"{slug or 'home'}-400w.png", NARROW)


def test_model_choice_stays_across_pages(page: Page, app_url, console):
    label = "digits · 8-d"
    open_page(page, app_url, "Morph")
    expect(page.get_by_role("combobox", name="Model")).to_have_value(label)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Styles", exact=True).click()
    wait_idle(page)
    expect(page.get_by_role("combobox", name="Model")).to_have_value(label)
    assert_healthy(page, console)


# --------------------------------------------------------------------------- interactions


def test_drawing_a_digit_with_the_mouse_shows_its_class(page: Page, app_url, console):
    open_page(page, app_url, "Draw")
    _draw(page, STROKES["4"])
    result = page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(r"It's a|none of these"))
    expect(result.first).to_contain_text("It's a 4", timeout=30_000)
    wait_idle(page)
    expect(page.get_by_text("model input (28×28)")).to_be_visible()
    assert_healthy(page, console)
    page.get_by_role("button", name="Clear").click()
    wait_idle(page)
    expect(page.get_by_text("the answer appears here")).to_be_visible()


TRAIL_POINTS = """() => {
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    for (const t of (gd._fullData || [])) {
      if (t.name === 'your drawing, stroke by stroke') return t.x.length;
    }
  }
  return document.querySelector('.js-plotly-plot') ? 1 : 0;
}"""


def test_the_drawing_leaves_a_trail_on_the_map_stroke_by_stroke(page: Page, app_url, console):
    """Three strokes (a 7's bar, its stem, a cross bar): after each, the map's trail has one point more."""
    seven = [[(0.15, 0.08), (0.85, 0.08)], [(0.85, 0.08), (0.45, 0.95)], [(0.3, 0.5), (0.8, 0.5)]]
    open_page(page, app_url, "Draw")
    for n, stroke in enumerate(seven, start=1):
        _draw(page, [stroke])
        wait_idle(page)
        page.wait_for_function(f"() => ({TRAIL_POINTS})() === {n}", timeout=30_000)
    expect(page.get_by_text("Where your drawing lands on the map (its trail, stroke by stroke)")).to_be_visible()
    assert_healthy(page, console)
    page.get_by_role("button", name="Clear").click()  # a new drawing starts a new trail
    wait_idle(page)
    _draw(page, [seven[0]])
    wait_idle(page)
    page.wait_for_function(f"() => ({TRAIL_POINTS})() === 1", timeout=30_000)


def test_on_a_phone_the_answer_shows_right_under_the_canvas(page: Page, app_url, console, screenshots):
    page.set_viewport_size(NARROW)
    page.goto(app_url + "draw")
    wait_idle(page)
    canvas = page.locator('[data-testid="stBidiComponentIsolated"]')
    canvas.evaluate("el => el.scrollIntoView({block: 'center'})")  # where a thumb would bring it to draw
    page.wait_for_timeout(300)
    _draw(page, STROKES["4"])
    phone = page.locator(".st-key-draw_phone_answer")
    expect(phone).to_contain_text("It's a 4", timeout=30_000)
    wait_idle(page)
    box, under = phone.bounding_box(), canvas.bounding_box()
    assert box is not None and under is not None
    # on screen together with the canvas it answers, without scrolling
    assert under["y"] >= 0 and box["y"] + box["height"] <= NARROW["height"], (under, box)
    page.screenshot(path=str(screenshots / "draw-phone-answer-400.png"))
    assert_healthy(page, console)
    page.set_viewport_size(WIDE)  # beside the canvas the answer column says it: the one-liner hides
    expect(phone).to_be_hidden()
    expect(page.get_by_role("heading", name=re.compile("It's a 4"))).to_be_visible()


def _draw(page: Page, strokes, box=(0.25, 0.12, 0.75, 0.88)) -> None:
    """Draw strokes (polylines in a unit box) with the mouse inside `box` (fractions of the canvas)."""
    canvas = page.locator('[data-testid="stBidiComponentIsolated"] canvas.upper-canvas')
    canvas.wait_for()
    frame = canvas.bounding_box()
    left, top, right, bottom = box
    for stroke in strokes:
        points = [
            (
                frame["x"] + (left + x * (right - left)) * frame["width"],
                frame["y"] + (top + y * (bottom - top)) * frame["height"],
            )
            for x, y in stroke
        ]
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=8)
        page.mouse.up()
        page.wait_for_timeout(200)


@pytest.mark.skipif(
    not (ROOT / "assets" / "mnist" / "detector.safetensors").is_file(),
    reason="the shipped MNIST bundle has no 'none' detector here",
)
def test_a_letter_drawn_on_the_shipped_mnist_model_is_none_with_its_reason(page: Page, app_url, console):
    open_page(page, app_url, "Draw")
    page.get_by_role("combobox", name="Model").click()
    page.get_by_role("option", name=re.compile(r"^mnist ·")).click()
    wait_idle(page)
    _draw(page, LETTERS["W"][0])
    result = page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(r"It's a|none of these"))
    expect(result.first).to_contain_text("none of these", timeout=30_000)
    expect(result.first).to_contain_text("Reason:")
    wait_idle(page)
    expect(page.get_by_text("Why: the tests behind “none”")).to_be_visible()
    assert_healthy(page, console)


def test_clicking_a_component_marker_opens_its_samples(page: Page, app_url, console):
    page.set_viewport_size({"width": 1280, "height": 900})
    open_page(page, app_url, "Latent map")
    page.get_by_test_id("stRadioGroup").get_by_text("styles only", exact=True).click()
    wait_idle(page)
    traces = page.locator('[data-testid="stPlotlyChart"] .scatterlayer .trace')
    # SVG trace order (latent.figures.plots.latent_map, points=False; the spots are WebGL): one ellipse per
    # component, 10 centre traces, then 10 traces of invisible hit markers, 7 per style (its centre first)
    expect(traces.first).to_be_visible(timeout=30_000)
    hits_of_class_9 = traces.nth(traces.count() - 1).locator("path.point")
    expect(hits_of_class_9.first).to_be_attached()
    hits_of_class_9.nth(7).scroll_into_view_if_needed()  # a click below the fold lands nowhere
    target = hits_of_class_9.nth(7).bounding_box()  # the centre of class 9's second style
    page.mouse.click(target["x"] + target["width"] / 2, target["y"] + target["height"] / 2)
    panel = page.get_by_text(re.compile(r"Class 9, style \d"))  # styles are numbered by weight
    expect(panel).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(page.get_by_text("16 samples from this style, decoded")).to_be_visible()
    images = page.get_by_test_id("stImage")
    before = page.locator('[data-testid="stImage"] img').last.get_attribute("src")
    page.get_by_role("button", name="Resample").click()
    wait_idle(page)
    assert page.locator('[data-testid="stImage"] img').last.get_attribute("src") != before
    assert images.count() >= 2
    assert_healthy(page, console)


def test_moving_the_morph_slider_changes_the_frame(page: Page, app_url, console):
    open_page(page, app_url, "Morph")
    frame = page.locator('[data-testid="stImage"] img').first
    expect(frame).to_be_visible()
    before = frame.get_attribute("src")
    expect(page.get_by_text("Frame at t = 0.50")).to_be_visible()
    slider = page.get_by_role("slider", name=re.compile("Mix t"))
    slider.focus()
    page.keyboard.press("End")
    expect(page.get_by_text("Frame at t = 1.00")).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert page.locator('[data-testid="stImage"] img').first.get_attribute("src") != before
    assert_healthy(page, console)


def test_a_bad_upload_gets_a_message_and_the_page_keeps_working(page: Page, app_url, console, tmp_path):
    open_page(page, app_url, "Draw")
    page.get_by_role("radio", name="Upload").click()
    wait_idle(page)
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"this is not an image at all")
    page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(str(bad))
    expect(page.get_by_text(re.compile("not an image this tool can read"))).to_be_visible(timeout=30_000)
    page.get_by_role("radio", name="Draw").click()
    wait_idle(page)
    expect(page.locator('[data-testid="stBidiComponentIsolated"] canvas.upper-canvas')).to_be_visible()
    assert_healthy(page, console)


def test_uploads_on_the_shipped_mnist_model_a_drawing_and_a_blank_card(page: Page, app_url, console, tmp_path):
    """A digit drawn in an app and saved black on white is read whole, as the canvas reads it; a photo of a
    card with nothing on it is "none" because there is no clear ink (it was read as a 1)."""
    import numpy as np
    from PIL import Image

    from drawing import draw_digit

    open_page(page, app_url, "Draw")
    page.get_by_role("combobox", name="Model").click()
    page.get_by_role("option", name=re.compile(r"^mnist ·")).click()
    wait_idle(page)
    page.get_by_role("radio", name="Upload").click()
    wait_idle(page)
    uploader = page.locator('[data-testid="stFileUploader"] input[type=file]')
    result = page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(r"It's a|none of these"))

    drawing = tmp_path / "my four.png"
    Image.fromarray(draw_digit("4", size=400, width=14, ink=0, paper=255)).save(drawing)
    uploader.set_input_files(str(drawing))
    expect(result.first).to_contain_text("It's a 4", timeout=30_000)
    wait_idle(page)

    rng = np.random.default_rng(0)
    card = np.full((480, 640), 0.32) + rng.normal(0, 0.02, (480, 640))  # a grey desk
    card[110:370, 150:500] = 0.9 - 0.1 * np.linspace(0, 1, 350)[None, :]  # the card, lit from one side
    photo = tmp_path / "blank card.jpg"
    Image.fromarray(np.round(np.clip(card, 0, 1) * 255).astype(np.uint8)).save(photo, quality=85)
    uploader.set_input_files(str(photo))
    expect(result.first).to_contain_text("none of these", timeout=30_000)
    expect(result.first).to_contain_text("no clear ink")
    wait_idle(page)
    assert_healthy(page, console)
