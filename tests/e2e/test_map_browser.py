"""The Latent map in a real browser: a click on an empty spot decodes it, and a click on a style marker
in the default view (test images under the markers) opens that style. Positions are computed from the
bundle's map and turned into pixels by plotly's own axes, so the clicks land where a person would click."""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from e2e.test_browser import assert_healthy, open_page, wait_idle

PLOT = '[data-testid="stPlotlyChart"] .js-plotly-plot'
TO_PIXELS = """([x, y]) => {
    const gd = document.querySelector('PLOT');
    const box = gd.querySelector('.nsewdrag').getBoundingClientRect();  // the plot area
    return [box.left + gd._fullLayout.xaxis.l2p(x), box.top + gd._fullLayout.yaxis.l2p(y)];
}""".replace("PLOT", PLOT)
SCALE = """() => {
    const gd = document.querySelector('PLOT');
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    return [xa._length / (xa.range[1] - xa.range[0]), ya._length / (ya.range[1] - ya.range[0])];
}""".replace("PLOT", PLOT)


@pytest.fixture(scope="module")
def bundle_map(e2e_model):
    from latent.bundle.model import LatentModel
    from latent.explore.styles import style_number

    model = LatentModel.load(e2e_model)
    numbers = [style_number(model.mixture, int(c), int(k)) for c, k in model.ellipse_index]  # by weight, as shown
    return model.map.coords.astype(np.float64), model.ellipse_centers, model.ellipse_index, model.class_names, numbers


def wait_for_map(page: Page) -> None:
    page.locator(f"{PLOT} .scatterlayer .trace").first.wait_for(timeout=60_000)
    page.wait_for_function(f"() => !!document.querySelector('{PLOT}')._fullLayout")
    wait_idle(page)


def pixels(page: Page, xy) -> np.ndarray:
    """Where map position `xy` is on screen, after scrolling the map so that it is in view: a mouse click
    outside the viewport lands nowhere (the map's lower part is below the fold of a 900 px high window)."""
    at = np.asarray(page.evaluate(TO_PIXELS, [float(xy[0]), float(xy[1])]))
    height = page.evaluate("() => window.innerHeight")
    if not 40 <= at[1] <= height - 40:
        page.evaluate(
            f"(y) => document.querySelector('{PLOT}').scrollIntoView({{block: y > 0 ? 'end' : 'start'}})", float(at[1])
        )
        page.wait_for_timeout(300)
        at = np.asarray(page.evaluate(TO_PIXELS, [float(xy[0]), float(xy[1])]))
    assert 0 <= at[1] <= height, f"map position {xy} is at y={at[1]:.0f} px, outside the {height} px window"
    return at


def test_clicking_an_empty_spot_of_the_map_decodes_it(page: Page, app_url, console, bundle_map, screenshots):
    coords, centres, _, _, _ = bundle_map
    page.set_viewport_size({"width": 1280, "height": 900})
    open_page(page, app_url, "Latent map")
    wait_for_map(page)
    # the spot of a 40 x 40 grid over the map that lies farthest from every test image and style marker
    lo, hi = coords.min(0), coords.max(0)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 40), np.linspace(lo[1], hi[1], 40))
    grid = np.stack([gx.ravel(), gy.ravel()], 1)
    things = np.concatenate([coords, centres])
    far = grid[np.argmax(np.min(((grid[:, None] - things[None]) ** 2).sum(-1), axis=1))]
    scale = np.asarray(page.evaluate(SCALE))
    assert np.min(np.abs((things - far) * scale).max(axis=1)) > 15  # nothing within 15 px: an empty spot
    x, y = pixels(page, far)
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    expect(page.get_by_text("This spot", exact=False).first).to_be_visible(timeout=30_000)
    wait_idle(page)
    card = page.get_by_test_id("stVerticalBlock").filter(has_text="This spot").last
    expect(card.get_by_text(re.compile(r"The model reads a|Unlikely latent code"))).to_be_visible()
    expect(card.get_by_text("Best class log-likelihood")).to_be_visible()
    expect(card.get_by_text(re.compile(r"vs threshold"))).to_be_visible()
    expect(card.locator('[data-testid="stImage"] img').first).to_be_visible()
    page.screenshot(path=str(screenshots / "latent_map-spot-1280.png"), full_page=True)
    assert_healthy(page, console)


def test_clicking_a_style_marker_in_the_default_view_opens_its_style(page: Page, app_url, console, bundle_map):
    coords, centres, index, names, numbers = bundle_map
    page.set_viewport_size({"width": 1280, "height": 900})
    open_page(page, app_url, "Latent map")
    wait_for_map(page)
    expect(page.get_by_role("radio", name="test images and styles")).to_be_checked()
    scale = np.abs(np.asarray(page.evaluate(SCALE)))
    # the style marker with a test image closest to its centre, clicked on that test image when it lies
    # under the marker (a dot there took the click before: plotly gives it to the nearest small marker)
    gaps = np.hypot(*((coords[None] - centres[:, None]) * scale).transpose(2, 0, 1))  # (markers, points) px
    gaps[index[:, 0] == 0] = np.inf  # class 0's panel shows before any click
    row = int(np.argmin(gaps.min(axis=1)))
    print(f"marker {index[row].tolist()}: nearest test image {gaps[row].min():.1f} px from its centre")
    dot = coords[int(np.argmin(gaps[row]))]
    gap = gaps[row].min()
    target = dot if gap <= 4.5 else centres[row] + (dot - centres[row]) * 4.5 / gap
    x, y = pixels(page, target)
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    c = int(index[row][0])
    expect(page.get_by_text(f"Class {names[c]}, style {numbers[row]}")).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(page.get_by_text("16 samples from this style, decoded")).to_be_visible()
    expect(page.get_by_text("This spot")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"Test image \d+"))).to_have_count(0)
    assert_healthy(page, console)
