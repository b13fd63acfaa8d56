"""Plotly figures for the dashboard: pure functions from arrays to `plotly.graph_objects.Figure`.

Every function takes data first, keyword options after, and returns a new figure; showing it is the
caller's job (the pages pass it to `st.plotly_chart`). Nothing here imports torch, scikit-learn or
streamlit, so figures can be built and tested anywhere.

Clickable things are markers that carry their identity in `customdata` as `[kind, index]`
(`POINT` for a stored map point, `COMPONENT` for a mixture component's centre marker, `SPOT` for a
cell of the invisible grid that makes every spot of the map clickable): plotly numbers points
within a trace, and colouring by class splits points into traces, so the trace-local index alone
cannot say what was clicked. `selected_items` reads a selection event back.

Which marker takes a click is plotly's hover rule ("closest"): a marker's distance to the cursor is
max(d - r, 1 - 3 / r) pixels for a marker of radius r >= 3 px, and a later trace wins ties. So a
small dot (r = 3) under the cursor is at distance 0 and beats a larger style marker (r = 5.5: never
below 0.45) drawn on top of it: in the default view 0 of 6 clicks on a style marker reached it. The
style markers are therefore drawn for the eye only, and the clicks go to small invisible markers
(r = 3) drawn last: one at each centre and a ring of six at `HIT_RING` of the map's width around it
(about 3-4 px at the full view), so a click anywhere on a style marker ties with any dot at distance
0 and the marker wins. Spots come first and dots after them: a dot under the cursor beats a spot.

Plotly renders a subset of HTML (<a>, <b>, <br>, <span style>) in names, labels and hover text, and
class names come from the bundle: every text given to these functions is shown as plain text
(`latent.text.escape_plotly`), so callers pass it raw.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from latent.bundle.projection import ellipse_points
from latent.inputs.imaging import to_uint8
from latent.text import escape_plotly

# Class colours: Petroff's ten (M. A. Petroff, "Accessible Color Sequences for Data Visualization", 2021;
# matplotlib's "petroff10"), chosen so that every pair stays apart with each common colour-vision deficiency,
# with its second grey (#717581) replaced by a violet: two greys read as one on a line chart (and MNIST's most
# confused pair, 3 and 8, got both). As protanopes, deuteranopes and tritanopes see them, every pair is at
# least 17 CIELAB units apart (Tableau 10 had pairs under 2); the violet is >= 25 from the other nine and keeps
# 3:1 contrast on both Streamlit backgrounds. Datasets with more classes continue with a longer palette
# (colour alone cannot carry 11+ classes).
PETROFF10 = [
    "#3F90DA",
    "#FFA90E",
    "#BD1F01",
    "#94A4A2",
    "#832DB6",
    "#A96B59",
    "#E76300",
    "#B9AC70",
    "#7245FA",
    "#92DADD",
]
EXTRA = [
    "#1F77B4",
    "#FF7F0E",
    "#2CA02C",
    "#D62728",
    "#9467BD",
    "#8C564B",
    "#E377C2",
    "#7F7F7F",
    "#BCBD22",
    "#17BECF",
    "#AEC7E8",
    "#FFBB78",
    "#98DF8A",
    "#FF9896",
    "#C5B0D5",
    "#C49C94",
]
NONE_COLOR = "#7F7F7F"
# Neutral marks (reference lines, error bars, secondary text) in a mid grey that keeps 3:1 contrast on both
# Streamlit's white and its near-black background; figures never fix a background or a text colour, so the
# app's light or dark theme supplies them.
NEUTRAL = "#8A8F98"
MUTED_BAR = "rgba(138,143,152,0.35)"  # bars that are not the answer: a tint of NEUTRAL over either background
HOVER_FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"

POINT, COMPONENT, SPOT = 0, 1, 2  # kinds of clickable marker, first entry of `customdata`
HIT_RING = 0.006  # share of the map's width: radius of the ring of invisible hit markers around a style marker
SPOT_COLOR = "#FFB000"  # the ring on a clicked spot: amber, readable on light and dark backgrounds

_MAP_MARGIN = dict(l=8, r=8, t=28, b=8)


def class_colors(n_classes: int) -> list[str]:
    """One distinct colour per class (hex strings), stable for a given number of classes."""
    palette = PETROFF10 if n_classes <= len(PETROFF10) else PETROFF10 + EXTRA
    return [palette[i % len(palette)] for i in range(n_classes)]


def _labels(names) -> list[str]:
    """Names (class names, captions) as plotly shows them literally."""
    return [escape_plotly(n) for n in names]


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


# --------------------------------------------------------------------------- the latent map


@dataclass
class Ellipses:
    """Where each mixture component lands on the map, as 2-D Gaussians.

    index : int array of shape (m, 2), (class index, component) per ellipse
    centers : array of shape (m, 2)
    covariances : array of shape (m, 2, 2)
    weights : array of shape (m,), the component's weight within its class
    """

    index: np.ndarray
    centers: np.ndarray
    covariances: np.ndarray
    weights: np.ndarray

    @classmethod
    def from_model(cls, model) -> Ellipses:
        """The ellipses stored in a loaded `LatentModel` bundle, with their mixture weights."""
        index = np.asarray(model.ellipse_index, dtype=np.int64)
        weights = model.mixture.weights_[index[:, 0], index[:, 1]]
        return cls(index, np.asarray(model.ellipse_centers), np.asarray(model.ellipse_covariances), weights)

    def __len__(self) -> int:
        return len(self.index)

    def style_numbers(self) -> np.ndarray:
        """Style number (1 = heaviest in its class) of each ellipse, as `latent.explore.styles` numbers them
        on every page."""
        numbers = np.zeros(len(self.index), dtype=np.int64)
        for c in np.unique(self.index[:, 0]):
            rows = np.flatnonzero(self.index[:, 0] == c)
            rows = rows[np.lexsort((self.index[rows, 1], -np.asarray(self.weights)[rows]))]  # by weight, then component
            numbers[rows] = np.arange(1, len(rows) + 1)
        return numbers


def subsample(n: int, max_points: int | None, *, seed: int = 0) -> np.ndarray:
    """Sorted indices of at most `max_points` of n items (all of them when max_points is None)."""
    if max_points is None or max_points >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, max_points, replace=False))


def latent_map(
    coords: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    *,
    ellipses: Ellipses | None = None,
    hover_images: Sequence[str] | None = None,
    max_points: int | None = None,
    n_std: float = 1.5,
    point_size: float | None = None,
    opacity: float = 0.55,
    height: int = 560,
    title: str | None = None,
    points: bool = True,
    extent: Sequence[float] | None = None,
    spots: tuple[np.ndarray, np.ndarray] | None = None,
    spot_stride: int = 1,
    density=None,
    shade: bool = True,
    threshold: float | None = None,
    webgl: bool = False,
) -> go.Figure:
    """The 2-D map of stored latent codes, coloured by class, with the mixture components on top.

    Parameters
    ----------
    coords : array of shape (n, 2)
        Map positions of the stored codes.
    labels : int array of shape (n,)
        True class index of each code.
    class_names : sequence of str, length n_classes
    ellipses : Ellipses, optional
        One outline (`n_std` standard deviations) and one clickable centre marker per component.
    hover_images : sequence of n str, optional
        Text thumbnails (`latent.inputs.imaging.text_thumbnails`) shown when hovering a point.
    n_std : float
        Size of the ellipses in standard deviations (1.5 holds about two thirds of a 2-D Gaussian).
    point_size : float, optional
        Marker size; by default smaller as there are more points.
    max_points : int, optional
        Show a fixed random subset of at most this many points (lighter pages, same picture).
    points : bool
        Draw the test points (without them only the styles remain).
    extent : (x0, x1, y0, y1), optional
        The axes' ranges; by default the points' bounding box with a 4 % margin.
    spots : (xs (nx,), ys (ny,)), optional
        Cell centres of a grid of invisible clickable markers (customdata [SPOT, cell], cell = row * nx
        + column, row along ys): a click anywhere on the map lands on the nearest one. With `density`
        they are split by the class the model sees there, and hovering one says it. `spot_stride` keeps
        every n-th row and column only: neighbouring spots decode alike, and every spot is bytes sent
        on each rerun and, without `webgl`, an SVG node to draw (9,216 of them doubled the time plotly
        took to draw the 10,000-point map).
    density : latent.bundle.map_inverse.DensityGrid, optional
        What the model makes of the code at each cell: hovering a spot says it, and with `shade` it is
        shaded under everything (the best class log-likelihood, with the `threshold` contour: "none"
        below it). Its cells must be the `spots` grid when both are given.
    webgl : bool
        Draw the points and the spots with WebGL (`Scattergl`): one canvas instead of an SVG node per
        marker (benchmarks/map_bench.py --browser-only compares a visit with an older checkout). A
        WebGL marker's hover distance is its plain distance to the cursor, so the nearest point or spot
        takes a click, and a style marker's hit (SVG, distance 0 within 3 px, drawn last) still beats both.

    Returns
    -------
    Figure with traces, in order: the density heatmap and threshold contour (with `density`), the
    spot grid (with `spots`), one marker trace per class of points (customdata [POINT, global index];
    legend entry), one line trace per ellipse, one marker trace per class of component centres (for
    the eye; the legend entry when there are no points), and last one trace per class of invisible hit
    markers (customdata [COMPONENT, ellipse row, style, weight %]). A class's traces share its legend
    group, so clicking a class in the legend hides all of it.
    """
    coords = np.asarray(coords, dtype=np.float64)
    labels = np.asarray(labels)
    if coords.ndim != 2 or coords.shape[1] != 2 or labels.shape != (len(coords),):
        raise ValueError(f"coords must be (n, 2) and labels (n,), got {coords.shape} and {labels.shape}")
    if hover_images is not None and len(hover_images) != len(coords):
        raise ValueError(f"hover_images must have one entry per point ({len(coords)}), got {len(hover_images)}")
    colors = class_colors(len(class_names))
    names = _labels(class_names)
    if extent is None:
        extent = _extent(coords)
    x0, x1, y0, y1 = (float(v) for v in extent)
    fig = go.Figure()
    if density is not None and shade:
        _add_density(fig, density, threshold)
    scatter = go.Scattergl if webgl else go.Scatter
    if spots is not None:
        _add_spots(fig, spots, names, density, threshold, spot_stride, scatter)
    if points:
        _add_points(
            fig,
            coords,
            labels,
            names,
            colors,
            subsample(len(coords), max_points),
            hover_images,
            point_size,
            opacity,
            scatter,
        )
    if ellipses is not None and len(ellipses):
        _add_ellipses(fig, ellipses, names, colors, n_std, legend=not points, ring=HIT_RING * (x1 - x0))
    _map_layout(fig, height=height, title=title, hover_font=HOVER_FONT if hover_images is not None else None)
    fig.update_xaxes(range=[x0, x1], autorange=False)
    fig.update_yaxes(range=[y0, y1], autorange=False)
    return fig


def _extent(coords: np.ndarray, margin: float = 0.04) -> tuple[float, float, float, float]:
    """The points' bounding box widened by `margin` of its size (as latent.bundle.map_inverse.map_extent)."""
    if not len(coords):
        return -1.0, 1.0, -1.0, 1.0
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    pad = np.maximum(hi - lo, 1e-6) * margin
    return lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]


def _add_points(
    fig, coords, labels, names, colors, keep, hover_images, point_size, opacity, scatter=go.Scatter
) -> None:
    """One clickable trace of test points per class (customdata [POINT, global index])."""
    if point_size is None:
        point_size = 7 if len(keep) <= 1000 else 5 if len(keep) <= 4000 else 4
    for c, name in enumerate(names):
        idx = keep[labels[keep] == c]
        trace = dict(  # float32 positions and int32 ids: half the bytes sent on every rerun
            x=coords[idx, 0].astype(np.float32),
            y=coords[idx, 1].astype(np.float32),
            mode="markers",
            name=name,
            legendgroup=f"class{c}",
            marker=dict(size=point_size, color=colors[c], opacity=opacity, line=dict(width=0)),
            customdata=np.stack([np.full(len(idx), POINT), idx], axis=1).astype(np.int32),
            unselected=dict(marker=dict(opacity=opacity)),
        )
        if hover_images is not None:
            trace["hovertext"] = [hover_images[i] for i in idx]
            trace["hovertemplate"] = f"<b>{name}</b> · test image %{{customdata[1]}}<br>%{{hovertext}}<extra></extra>"
        else:
            trace["hovertemplate"] = f"<b>{name}</b> · test image %{{customdata[1]}}<extra></extra>"
        fig.add_trace(scatter(**trace))


def _add_density(fig: go.Figure, density, threshold: float | None) -> None:
    """The best class log-likelihood as shading (darker = likelier) and the threshold as a grey contour.

    The shading spans from the threshold (clear) to the 99th percentile (strongest); cells below the
    threshold are hatched grey."""
    xs, ys = density.centres()
    ll = np.asarray(density.log_likelihood, dtype=np.float64)
    low = float(threshold) if threshold is not None else float(np.quantile(ll, 0.01))
    high = max(float(np.quantile(ll, 0.99)), low + 1e-6)
    t = np.clip((ll - low) / (high - low), -0.1, 1.0)  # < 0: below the threshold
    blue = "76,120,168"
    scale = [
        [0.0, "rgba(127,127,127,0.45)"],
        [0.0909, "rgba(127,127,127,0.45)"],
        [0.0910, f"rgba({blue},0.0)"],
        [1.0, f"rgba({blue},0.42)"],
    ]  # z from -0.1 to 1
    fig.add_trace(
        go.Heatmap(
            x=xs,
            y=ys,
            z=t.astype(np.float32),
            zmin=-0.1,
            zmax=1.0,
            colorscale=scale,
            showscale=False,
            hoverinfo="skip",
            zsmooth="best",
            meta=dict(kind="density"),
        )
    )
    if threshold is not None and ll.min() < threshold < ll.max():
        fig.add_trace(
            go.Contour(
                x=xs,
                y=ys,
                z=ll.astype(np.float32),
                showscale=False,
                hoverinfo="skip",
                name="“none” below this",
                showlegend=False,
                contours=dict(start=float(threshold), end=float(threshold), size=1.0, coloring="none"),
                line=dict(color=NONE_COLOR, width=1.5),
                meta=dict(kind="threshold"),
            )
        )


def _add_spots(fig: go.Figure, spots, names, density, threshold, stride: int = 1, scatter=go.Scatter) -> None:
    """Invisible clickable markers on a grid (customdata [SPOT, cell]); a clicked one shows as a ring."""
    xs, ys = (np.asarray(v, dtype=np.float64) for v in spots)
    gx, gy = np.meshgrid(xs, ys)
    xy = np.stack([gx.ravel(), gy.ravel()], axis=1)
    cells = (np.arange(0, len(ys), stride)[:, None] * len(xs) + np.arange(0, len(xs), stride)[None, :]).ravel()
    style = dict(
        mode="markers",
        showlegend=False,
        meta=dict(kind="spots"),
        marker=dict(size=6, opacity=0, symbol="circle-open", line=dict(width=3)),
        selected=dict(marker=dict(opacity=1, size=18, color=SPOT_COLOR)),
        unselected=dict(marker=dict(opacity=0)),
    )
    click = "<br><i>click to decode this spot</i><extra></extra>"
    if density is None:
        fig.add_trace(
            scatter(
                x=xy[cells, 0].astype(np.float32),
                y=xy[cells, 1].astype(np.float32),
                name="spots",
                hovertemplate=click[4:],
                customdata=np.stack([np.full(len(cells), SPOT), cells], axis=1).astype(np.int32),
                **style,
            )
        )
        return
    ll = np.asarray(density.log_likelihood, dtype=np.float64).ravel()
    predicted = np.asarray(density.predicted).ravel()
    rejected = ll < threshold if threshold is not None else np.zeros(len(ll), bool)
    groups = [(names[c], cells[(predicted[cells] == c) & ~rejected[cells]]) for c in range(len(names))]
    groups.append((None, cells[rejected[cells]]))
    for name, group in groups:
        if not len(group):
            continue
        if name is None:
            text = f"<b>unlikely code</b> (“none” below {threshold:.0f})"
        else:
            text = f"looks like <b>{name}</b>"
        fig.add_trace(
            scatter(
                x=xy[group, 0].astype(np.float32),
                y=xy[group, 1].astype(np.float32),
                name=f"spots: {name or 'none'}",
                customdata=np.stack([np.full(len(group), SPOT), group, ll[group]], axis=1).astype(np.float32),
                hovertemplate=f"{text} · log-likelihood %{{customdata[2]:.0f}}" + click,
                **style,
            )
        )


def _add_ellipses(
    fig: go.Figure, ellipses: Ellipses, class_names, colors, n_std: float, legend: bool = False, ring: float = 0.0
) -> None:
    """Outlines, centre markers (for the eye) and, last, their invisible hit markers (which take the
    clicks: see the module docstring); `class_names` are already escaped for plotly. Styles are numbered
    by weight within their class (latent.explore.styles), as on every page."""
    numbers = ellipses.style_numbers()
    for j, ((c, _), center, cov) in enumerate(zip(ellipses.index, ellipses.centers, ellipses.covariances, strict=True)):
        outline = ellipse_points(center, cov, n_std).astype(np.float32)
        fig.add_trace(
            go.Scatter(
                x=outline[:, 0],
                y=outline[:, 1],
                mode="lines",
                name=f"{class_names[c]} · style {numbers[j]}",
                legendgroup=f"class{c}",
                showlegend=False,
                hoverinfo="skip",
                line=dict(color=_rgba(colors[c], 0.8), width=1.2),
                meta=dict(kind="ellipse", row=j),
            )
        )
    by_class = [(c, name, np.flatnonzero(ellipses.index[:, 0] == c)) for c, name in enumerate(class_names)]
    for c, name, rows in by_class:
        if len(rows):
            fig.add_trace(
                go.Scatter(
                    x=ellipses.centers[rows, 0],
                    y=ellipses.centers[rows, 1],
                    mode="markers",
                    name=name,
                    legendgroup=f"class{c}",
                    showlegend=legend,
                    hoverinfo="skip",
                    marker=dict(symbol="diamond", size=11, color=colors[c], line=dict(color="white", width=1.2)),
                    unselected=dict(marker=dict(opacity=1)),
                    meta=dict(kind="centres"),
                )
            )
    angles = np.linspace(0, 2 * np.pi, 7)[:-1]
    offsets = np.concatenate([[[0.0, 0.0]], ring * np.stack([np.cos(angles), np.sin(angles)], axis=1)])  # (7, 2)
    for c, name, rows in by_class:
        if not len(rows):
            continue
        xy = (ellipses.centers[rows][:, None, :] + offsets[None]).reshape(-1, 2)  # 7 per marker
        rep = np.repeat(rows, len(offsets))
        fig.add_trace(
            go.Scatter(
                x=xy[:, 0],
                y=xy[:, 1],
                mode="markers",
                name=f"{name} · styles",
                legendgroup=f"class{c}",
                showlegend=False,
                customdata=np.stack(
                    [np.full(len(rep), COMPONENT), rep, numbers[rep], ellipses.weights[rep] * 100], axis=1
                ),
                hovertemplate=(
                    f"<b>{name}</b> · style %{{customdata[2]:.0f}}<br>weight %{{customdata[3]:.0f}}%"
                    "<br><i>click to see its samples</i><extra></extra>"
                ),
                marker=dict(size=6, opacity=0),
                selected=dict(marker=dict(opacity=0)),
                unselected=dict(marker=dict(opacity=0)),
                meta=dict(kind="hits"),
            )
        )


def _map_layout(fig: go.Figure, *, height: int, title: str | None, hover_font: str | None = None) -> None:
    fig.update_layout(
        height=height,
        margin=_MAP_MARGIN if title is None else dict(_MAP_MARGIN, t=48),
        title=dict(text=title) if title else None,
        legend=dict(
            orientation="h", yanchor="top", y=-0.01, xanchor="left", x=0, itemsizing="constant", title=dict(text="")
        ),
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
        uirevision="map",
        clickmode="event+select",
        dragmode="pan",
        hovermode="closest",
        plot_bgcolor="rgba(0,0,0,0)",
        hoverlabel=dict(font=dict(family=hover_font), align="left") if hover_font else dict(align="left"),
    )


def trim_thumbnails(thumbnails: Sequence[str]) -> list[str]:
    """Text thumbnails (`latent.inputs.imaging.text_thumbnails`) without their blank margins (empty first and
    last lines, the blank columns on the left and at the ends of lines): they show nothing in a hover
    label, and the 10,000 thumbnails are most of the map's bytes."""
    out = []
    for text in thumbnails:
        lines = [line.rstrip() for line in text.split("<br>")]
        while lines and not lines[0]:
            lines.pop(0)
        while lines and not lines[-1]:
            lines.pop()
        indent = min((len(line) - len(line.lstrip()) for line in lines if line), default=0)
        out.append("<br>".join(line[indent:] for line in lines))
    return out


def freeze(fig: go.Figure, *, encode: bool = False) -> go.Figure:
    """The same figure, read-only, whose `to_dict()` is computed once and then shared (an `_Overlay`).

    `st.plotly_chart` calls `to_dict()` (a deep copy) on every rerun before serialising; for the
    10,000-point map that copy is half of what a click costs the server. With `encode`, its values are
    also encoded to JSON once (`_pre_encoded`: the Latent map's 1.4 MB). `fig` must not be changed
    afterwards; to add to a frozen figure use `from_spec` / `map_markers` / `map_path` (on an encoded
    one, the result can be shown but not read back through `.data`)."""
    spec = fig.to_dict()
    return _Overlay(_pre_encoded(spec) if encode else spec, figure=fig)


def _json_escapes() -> tuple[tuple[bytes, bytes], ...]:
    """What plotly's `_safe` escapes in the JSON orjson writes (for a <script> tag, and JavaScript), as
    UTF-8 bytes: its own table, so the text stays what plotly would write."""
    from plotly.io._json import _swap_orjson

    return tuple((unsafe.encode(), safe.encode()) for unsafe, safe in _swap_orjson)


def _pre_encoded(spec: dict) -> dict:
    """`spec` with every value of its traces and layout replaced by its JSON, encoded and escaped once as
    orjson Fragments, which orjson then copies as they are. plotly encodes a figure with orjson on every
    `st.plotly_chart` and then escapes <, >, / over the whole text; the same options and escapes are used
    here, so the text is byte for byte what it would write, and its escaping finds nothing left to do.
    For the Latent map's 1.4 MB (hover thumbnails) that was ~10 ms of every click. Left as it is when
    plotly would not use orjson."""
    import plotly.io

    try:
        import orjson
    except ImportError:
        return spec
    if not hasattr(orjson, "Fragment") or plotly.io.json.config.default_engine not in ("auto", "orjson"):
        return spec
    options = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY  # plotly's, in `to_json_plotly`
    escapes = _json_escapes()

    def encoded(values: dict, keep=()) -> dict:
        out = {}
        for key, value in values.items():
            if key in keep:
                out[key] = value
                continue
            try:
                text = orjson.dumps(value, option=options)
            except TypeError:  # something only plotly's cleaning can encode: left to it
                out[key] = value
                continue
            for unsafe, safe in escapes:
                text = text.replace(unsafe, safe)
            out[key] = orjson.Fragment(text)
        return out

    out = {**spec, "data": [encoded(trace) for trace in spec.get("data", [])]}
    if "layout" in spec:  # its shapes stay a list: `from_spec` adds to them
        out["layout"] = encoded(spec["layout"], keep=("shapes",))
    return out


def map_markers(
    fig: go.Figure,
    xy: np.ndarray,
    *,
    name: str,
    color: str = "#111111",
    symbol: str = "star",
    size: float = 18,
    text: Sequence[str] | None = None,
) -> go.Figure:
    """A copy of a map figure with extra markers on top (a drawing, a sample...).

    xy : array of shape (m, 2). `text` (m strings) is shown on hover. Built with `from_spec` (no copy or
    validation of the map's traces): the Draw page adds markers to its map on every stroke.
    """
    xy = np.atleast_2d(np.asarray(xy, dtype=np.float64))
    name, text = escape_plotly(name), _labels(text) if text is not None else None
    return from_spec(
        fig.to_dict(),
        traces=[
            dict(
                type="scatter",
                x=xy[:, 0],
                y=xy[:, 1],
                mode="markers",
                name=name,
                text=text,
                hovertemplate="%{text}<extra></extra>" if text is not None else f"{name}<extra></extra>",
                marker=dict(symbol=symbol, size=size, color=color, line=dict(color="white", width=1.5)),
                meta=dict(kind="overlay"),
            )
        ],
    )


def map_path(
    fig: go.Figure,
    xy: np.ndarray,
    *,
    name: str,
    color: str = "#111111",
    current: np.ndarray | None = None,
    text: Sequence[str] | None = None,
) -> go.Figure:
    """A copy of a map figure with a path drawn on it (start ●, end ■) and optionally the current point ★.

    xy : array of shape (m, 2), the path's map positions in order; current : array of shape (2,).
    Built with `from_spec`, as `map_markers`.
    """
    xy = np.asarray(xy, dtype=np.float64)
    name, text = escape_plotly(name), _labels(text) if text is not None else None
    traces: list[dict] = [
        dict(
            type="scatter",
            x=xy[:, 0],
            y=xy[:, 1],
            mode="lines+markers",
            name=name,
            text=text,
            hovertemplate="%{text}<extra></extra>" if text is not None else None,
            hoverinfo=None if text else "skip",
            line=dict(color=color, width=2.5),
            marker=dict(size=4, color=color),
            meta=dict(kind="path"),
        ),
        dict(
            type="scatter",
            x=xy[[0, -1], 0],
            y=xy[[0, -1], 1],
            mode="markers",
            name=f"{name}: start / end",
            hoverinfo="skip",
            showlegend=False,
            meta=dict(kind="ends"),
            marker=dict(symbol=["circle", "square"], size=12, color=color, line=dict(color="white", width=1.5)),
        ),
    ]
    if current is not None:
        cur = np.asarray(current, dtype=np.float64).reshape(2)
        traces.append(
            dict(
                type="scatter",
                x=[cur[0]],
                y=[cur[1]],
                mode="markers",
                name="now",
                hoverinfo="skip",
                marker=dict(symbol="star", size=20, color="#FFD400", line=dict(color="#111111", width=1.5)),
                meta=dict(kind="current"),
            )
        )
    return from_spec(fig.to_dict(), traces=[{k: v for k, v in t.items() if v is not None} for t in traces])


def selected_items(event) -> list[tuple[int, int]]:
    """(kind, index) of each clicked marker in a Streamlit plotly selection event.

    Accepts the event as `st.plotly_chart(..., on_select="rerun")` returns it, or as a test injects
    it (`{"selection": {"points": [{"customdata": ...}]}}`); customdata may come back as a list or as
    a dict with string keys ({"0": 1, "1": 15}). Points without customdata are skipped.
    """
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return []
    items = []
    for point in points or []:
        custom = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(custom, dict):
            custom = [custom[k] for k in sorted(custom, key=int)]
        if not isinstance(custom, (list, tuple)) or len(custom) < 2:
            continue
        try:
            items.append((int(custom[0]), int(custom[1])))
        except (TypeError, ValueError):
            continue
    return items


# --------------------------------------------------------------------------- cheap per-frame overlays


def from_spec(spec: dict, *, traces: Sequence[dict] = (), shapes: Sequence[dict] = ()) -> go.Figure:
    """A figure from a stored figure dict (`fig.to_dict()`, kept by a cache) plus a few extra traces and
    layout shapes, to be shown, not changed: a slider move or a drawing stroke adds one marker to a
    3000-point map, and neither copies nor validates the map (map_path: ~55 ms a move with a validated
    copy, ~10 ms with an unvalidated one, ~1 ms this way). `spec` is not modified."""
    layout = dict(spec.get("layout", {}))
    if shapes:
        layout["shapes"] = [*layout.get("shapes", []), *shapes]
    return _Overlay({"data": [*spec.get("data", []), *traces], "layout": layout})


@functools.lru_cache(maxsize=1)
def _default_template() -> dict:
    """plotly's default template as a dict, as `Figure.to_dict()` writes it into every figure (shared: read only)."""
    import plotly.io as pio

    return pio.templates[pio.templates.default].to_plotly_json()


def _static(composed: dict) -> go.Figure:
    """A read-only figure over a figure dict built here (see `_Overlay`), completed as `Figure.to_dict()`
    would complete it: plotly's default template, numpy arrays as base64 typed arrays."""
    composed["layout"] = {"template": _default_template(), **composed.get("layout", {})}
    sent = _sendable(composed)  # the arrays stay numpy in `composed`: what `.data` and `.frames` show
    return _Overlay(sent, full=composed)


# keys plotly never turns into typed arrays, and the template (plotly's default, shared and read-only: it
# holds no arrays, and copying its ~2,000 dicts was half the work of a figure)
_NOT_TYPED = frozenset({"geojson", "layer", "layers", "range", "template"})


def _sendable(obj):
    """A copy of the dicts and lists of a figure dict, sharing everything else (strings, numbers), with its
    numpy arrays as plotly.js typed arrays: what plotly's `convert_to_base64` makes of them, without its
    dataframe checks on every array (~0.5 ms an array: most of a 60-frame animation's 15 ms)."""
    if isinstance(obj, dict):
        return {
            k: (v if k in _NOT_TYPED else _typed_array(v) if _is_array(v) else _sendable(v)) for k, v in obj.items()
        }
    if isinstance(obj, list):  # like plotly: an array inside a list stays an array (a JSON list)
        return [_sendable(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_sendable(v) for v in obj)
    return obj


def _is_array(v) -> bool:
    """plotly's `is_homogeneous_array`, asked only of objects that could be one (it costs ~6 us a call)."""
    if isinstance(v, np.ndarray):
        return True
    if isinstance(v, (dict, list, tuple, str, bytes, int, float, bool)) or v is None or not hasattr(v, "__array__"):
        return False
    from _plotly_utils.basevalidators import is_homogeneous_array

    return is_homogeneous_array(v)


@functools.lru_cache(maxsize=1)
def _short_types() -> dict[tuple[str, int], str]:
    """plotly's `plotlyjsShortTypes` keyed by (dtype kind, bytes): `str(dtype)`, its key, costs ~0.2 ms."""
    from _plotly_utils.utils import plotlyjsShortTypes

    return {(np.dtype(name).kind, np.dtype(name).itemsize): short for name, short in plotlyjsShortTypes.items()}


def _typed_array(v):
    from _plotly_utils.utils import to_typed_array_spec

    native = isinstance(v, np.ndarray) and v.dtype.isnative
    short = _short_types().get((v.dtype.kind, v.dtype.itemsize)) if native else None
    if short is None or v.size == 0:  # int64, strings, empty, other array types: plotly's own rules
        return to_typed_array_spec(v)
    spec = {"dtype": short, "bdata": base64.b64encode(np.ascontiguousarray(v).tobytes()).decode("ascii")}
    if v.ndim > 1:
        spec["shape"] = str(v.shape)[1:-1]
    return spec


class _Overlay(go.Figure):
    """A read-only figure over a composed figure dict. `to_dict()` (what `st.plotly_chart` sends) is that
    dict, with no deep copy; `data`, `layout` and `frames` come from `figure` when given, else from a real
    figure built from `full` (default: the dict itself) the first time they are read (tests do). Changing
    it (add_trace, update_layout) is not supported."""

    _figure: go.Figure | None = None  # the real figure, once built
    _composed: dict | None = None  # set after plotly's own __init__, which reads its (empty) layout and data
    _source: dict | None = None

    def __init__(self, composed: dict, full: dict | None = None, figure: go.Figure | None = None):
        super().__init__(layout={"template": {}}, _validate=False)  # an empty template: plotly's default costs ~10 ms
        self._composed = composed
        self._source = full if full is not None else composed  # what `data`, `layout`, `frames` are built from
        self._figure = figure

    def _full(self) -> go.Figure | None:
        if self._composed is None:
            return None
        if self._figure is None:
            self._figure = go.Figure(self._source, _validate=False)
        return self._figure

    @property
    def data(self):
        full = self._full()
        return super().data if full is None else full.data

    @property
    def layout(self):
        full = self._full()
        return super().layout if full is None else full.layout

    @property
    def frames(self):
        full = self._full()
        return super().frames if full is None else full.frames

    def to_dict(self):
        return self._composed if self._composed is not None else super().to_dict()

    def to_plotly_json(self):
        return self.to_dict()


def now_star(xy, *, name: str = "now") -> dict:
    """The trace of the current point on a map (as map_path's `current`): a yellow star, dark-edged."""
    x, y = (float(v) for v in np.asarray(xy, dtype=np.float64).reshape(2))
    return dict(
        type="scatter",
        x=[x],
        y=[y],
        mode="markers",
        name=escape_plotly(name),
        hoverinfo="skip",
        marker=dict(symbol="star", size=20, color="#FFD400", line=dict(color="#111111", width=1.5)),
        meta=dict(kind="current"),
    )


def t_line(t: float) -> dict:
    """A dotted vertical line at x = t across the plot (the current t on `path_probabilities`)."""
    return dict(
        type="line",
        xref="x",
        yref="paper",
        x0=float(t),
        x1=float(t),
        y0=0,
        y1=1,
        line=dict(color=NEUTRAL, width=1.5, dash="dot"),
    )


# --------------------------------------------------------------------------- classification


def probability_bars(
    proba: np.ndarray, class_names: Sequence[str], *, predicted: int | None = None, height: int = 300
) -> go.Figure:
    """Horizontal bars of p(class | z) for one input, the predicted class highlighted.

    proba : array of shape (n_classes,); predicted : class index, or None/-1 for "none" (all grey).
    """
    proba = np.asarray(proba, dtype=np.float64).reshape(-1)
    if len(proba) != len(class_names):
        raise ValueError(f"proba has {len(proba)} entries for {len(class_names)} classes")
    colors = class_colors(len(class_names))
    bar_colors = [colors[i] if predicted is not None and i == predicted else MUTED_BAR for i in range(len(proba))]
    names = _labels(class_names)
    bars = dict(
        type="bar",
        x=proba,
        y=names,
        orientation="h",
        marker=dict(color=bar_colors),
        text=[f"{p:.0%}" for p in proba],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{x:.1%}<extra></extra>",
    )
    layout = dict(
        height=height,
        margin=dict(l=8, r=40, t=8, b=8),
        showlegend=False,
        bargap=0.25,
        xaxis=dict(range=[0, 1.0], tickformat=".0%", showgrid=True),
        yaxis=dict(autorange="reversed", type="category"),
    )
    return _static(dict(data=[bars], layout=layout))  # redrawn for every input: no plotly object tree, no copies


def path_probabilities(
    t: np.ndarray,
    proba: np.ndarray,
    class_names: Sequence[str],
    *,
    current_t: float | None = None,
    rejected: np.ndarray | None = None,
    min_peak: float = 0.05,
    height: int = 300,
) -> go.Figure:
    """p(class | z) along a path, one line per class that reaches `min_peak` somewhere.

    t : array of shape (n,) in [0, 1]; proba : array of shape (n, n_classes);
    rejected : bool array of shape (n,), where the "none" threshold rejects (shaded grey).
    current_t draws a vertical marker line.
    """
    t = np.asarray(t, dtype=np.float64)
    proba = np.asarray(proba, dtype=np.float64)
    if proba.shape != (len(t), len(class_names)):
        raise ValueError(f"proba must be ({len(t)}, {len(class_names)}), got {proba.shape}")
    colors = class_colors(len(class_names))
    names = _labels(class_names)
    fig = go.Figure()
    for c in np.flatnonzero(proba.max(axis=0) >= min_peak):
        fig.add_trace(
            go.Scatter(
                x=t,
                y=proba[:, c],
                mode="lines",
                name=names[c],
                line=dict(color=colors[c], width=3),
                hovertemplate=f"{names[c]}: %{{y:.0%}} at t=%{{x:.2f}}<extra></extra>",
            )
        )
    if rejected is not None:
        for start, stop in _runs(np.asarray(rejected, dtype=bool)):
            fig.add_vrect(
                x0=t[start],
                x1=t[min(stop, len(t) - 1)],
                fillcolor=NONE_COLOR,
                opacity=0.15,
                line_width=0,
                annotation_text="none",
                annotation_position="top left",
            )
    if current_t is not None:
        fig.add_vline(x=float(current_t), line=dict(color=NEUTRAL, width=1.5, dash="dot"))
    fig.update_layout(
        height=height,
        margin=dict(l=8, r=8, t=8, b=8),
        hovermode="x unified",
        xaxis=dict(title="t (0 = source, 1 = target)", range=[0, 1]),
        yaxis=dict(title="p(class | z)", range=[0, 1.02], tickformat=".0%"),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
    )
    return fig


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the True runs of a bool array (stop exclusive)."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


# --------------------------------------------------------------------------- measures


def nice_ticks(lo: float, hi: float, *, n: int = 5, percent: bool = False) -> tuple[list[float], list[str]]:
    """Round tick values inside [lo, hi] (steps of 1, 2 or 5 times a power of ten) and their shortest
    labels that still tell every tick apart.

    Plotly's own ticks on a narrow range read "0.01795", and a ".0%" format turned 0.25 %-steps into
    "1%, 1%, 1%, 0%" for steps of 0.25 %; these labels carry as many decimals as the step needs and no more.
    Returns (values, labels); with `percent`, labels are in per cent of the values ("0.25%").
    """
    lo, hi = float(min(lo, hi)), float(max(lo, hi))
    scale, unit = (100.0, "%") if percent else (1.0, "")
    span = hi - lo
    if not np.isfinite(span) or span <= 1e-12 * max(1.0, abs(hi)):
        return [lo], [_trim(f"{lo * scale:.6g}") + unit]
    raw = span / max(n, 1)
    mag = 10.0 ** np.floor(np.log10(raw))
    mult = next(m for m in (1, 2, 5, 10) if m * mag >= raw * (1 - 1e-9))
    step = mult * mag
    first, last = np.ceil(lo / step - 1e-9), np.floor(hi / step + 1e-9)
    values = [float(k * step) for k in np.arange(first, last + 1)]
    decimals = max(0, int(-np.floor(np.log10(step * scale) + 1e-9)))
    labels = [_trim(f"{v * scale:.{decimals}f}") + unit for v in values]
    return values, labels


def _trim(text: str) -> str:
    """'0.50' -> '0.5', '2.0' -> '2', '-0' -> '0'."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _colorbar_below(height: int, margin: dict, *, axis_px: int = 44) -> dict:
    """A horizontal colour bar under the x axis's ticks and title: the grid keeps the chart's whole width,
    which a phone needs (a bar beside a 10-column grid left ~28 px per cell)."""
    plot_px = max(height - margin["t"] - margin["b"], 1)
    return dict(
        orientation="h",
        x=0.5,
        xanchor="center",
        y=-axis_px / plot_px,
        yanchor="top",
        thickness=10,
        len=1.0,
        lenmode="fraction",
    )


_HEATMAP_MARGIN = dict(l=8, r=8, t=8, b=84)


def kl_heatmap(value: np.ndarray, stderr: np.ndarray, class_names: Sequence[str], *, height: int = 460) -> go.Figure:
    """KL(row class || column class) in nats as a heatmap; hover shows value ± Monte Carlo error.

    value, stderr : arrays of shape (n_classes, n_classes). KL is asymmetric, so the matrix is too.
    Colour follows log10(1 + KL) so that small and large divergences both read; cells show values.
    Cells fill the plotting area (no square constraint), so the axes stay on the grid at any width.
    """
    value = np.asarray(value, dtype=np.float64)
    stderr = np.asarray(stderr, dtype=np.float64)
    n = len(class_names)
    if value.shape != (n, n) or stderr.shape != (n, n):
        raise ValueError(f"value and stderr must be ({n}, {n}), got {value.shape} and {stderr.shape}")
    names = _labels(class_names)
    shown = np.maximum(value, 0.0)
    z = np.log10(1.0 + shown)
    ticks = [v for v in (0, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000) if v <= max(shown.max(), 1)]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=names,
            y=names,
            customdata=np.stack([value, stderr], axis=-1),
            colorscale="Viridis",
            reversescale=True,
            text=[[_short(v) for v in row] for row in value],
            texttemplate="%{text}" if n <= 12 else None,
            textfont=dict(size=11 if n <= 10 else 9),
            xgap=1,
            ygap=1,
            hovertemplate="KL(%{y} ‖ %{x}) = %{customdata[0]:.2f} ± %{customdata[1]:.2f} nats<extra></extra>",
            colorbar=dict(
                title=dict(text="KL, nats", side="right"),
                tickvals=[np.log10(1 + v) for v in ticks],
                ticktext=[str(v) for v in ticks],
                **_colorbar_below(height, _HEATMAP_MARGIN),
            ),
        )
    )
    fig.update_layout(
        height=height,
        margin=_HEATMAP_MARGIN,
        xaxis=dict(title=dict(text="to class q", standoff=4), type="category", side="bottom"),
        yaxis=dict(title="from class p", type="category", autorange="reversed"),
    )
    return fig


def _short(v: float) -> str:
    if not np.isfinite(v):
        return "∞"
    if abs(v) >= 10:
        return f"{v:.0f}"
    return f"{v:.1f}"


def entropy_chart(value: np.ndarray, stderr: np.ndarray, class_names: Sequence[str], *, height: int = 300) -> go.Figure:
    """Differential entropy per class (nats) as dots with ±2 standard-error bars.

    value, stderr : arrays of shape (n_classes,). Dots rather than bars: differential entropy can be
    negative, and only differences between classes mean something.
    """
    value = np.asarray(value, dtype=np.float64)
    stderr = np.asarray(stderr, dtype=np.float64)
    if value.shape != (len(class_names),) or stderr.shape != value.shape:
        raise ValueError(f"value and stderr must have {len(class_names)} entries")
    names = _labels(class_names)
    fig = go.Figure(
        go.Scatter(
            x=names,
            y=value,
            mode="markers",
            marker=dict(size=14, color=class_colors(len(names))),
            error_y=dict(
                type="data", array=2 * stderr, visible=bool(np.any(stderr > 0)), thickness=1.5, width=6, color=NEUTRAL
            ),
            customdata=stderr,
            hovertemplate="H(%{x}) = %{y:.2f} ± %{customdata:.2f} nats<extra></extra>",
        )
    )
    fig.update_layout(
        height=height,
        margin=dict(l=8, r=8, t=8, b=8),
        showlegend=False,
        xaxis=dict(title=None, type="category"),
        yaxis=dict(title="entropy, nats", zeroline=False),
    )
    return fig


def confusion_heatmap(
    matrix: np.ndarray,
    class_names: Sequence[str],
    *,
    normalize: bool = True,
    hide_diagonal: bool = False,
    height: int = 460,
) -> go.Figure:
    """Confusion matrix, rows = true class, columns = predicted class.

    matrix : int array of shape (n_classes, n_classes) of counts. With `normalize`, colour is the
    share of each true class (row); cells show counts. `hide_diagonal` blanks the correct answers so
    that the mistakes get the whole colour range. The colour bar's ticks are round shares with distinct
    labels, and sits under the grid so that four-digit counts keep room in 10 columns on a phone.
    """
    counts = np.asarray(matrix, dtype=np.float64)
    n = len(class_names)
    if counts.shape != (n, n):
        raise ValueError(f"matrix must be ({n}, {n}), got {counts.shape}")
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalize else counts.copy()
    z = rates.copy()
    if hide_diagonal:
        np.fill_diagonal(z, np.nan)
    names = _labels(class_names)
    text = [[f"{int(v)}" if (v or i == j) else "" for j, v in enumerate(row)] for i, row in enumerate(counts)]
    digits = len(str(int(max(counts.max(), 0))))
    font_size = 11 if n <= 6 or digits <= 3 else 9
    unit = "of the true class" if normalize else "images"
    finite = z[np.isfinite(z)]
    tickvals, ticktext = nice_ticks(
        finite.min() if finite.size else 0.0, finite.max() if finite.size else 1.0, percent=normalize
    )
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=names,
            y=names,
            customdata=np.stack([counts, rates], axis=-1),
            colorscale="Blues",
            text=text,
            texttemplate="%{text}" if n <= 12 else None,
            textfont=dict(size=font_size),
            xgap=1,
            ygap=1,
            hovertemplate=(
                "true %{y}, predicted %{x}: %{customdata[0]:.0f} images"
                + (" (%{customdata[1]:.1%} " + unit + ")" if normalize else "")
                + "<extra></extra>"
            ),
            colorbar=dict(tickvals=tickvals, ticktext=ticktext, **_colorbar_below(height, _HEATMAP_MARGIN)),
            hoverongaps=False,
        )
    )
    fig.update_layout(
        height=height,
        margin=_HEATMAP_MARGIN,
        xaxis=dict(title=dict(text="predicted class", standoff=4), type="category"),
        yaxis=dict(title="true class", type="category", autorange="reversed"),
    )
    return fig


def accuracy_chart(per_class: dict[str, float], *, height: int = 300) -> go.Figure:
    """Test accuracy per class (a dict class name -> accuracy in [0, 1]) as dots on an axis zoomed to the data,
    each joined to 100 % by a line that is its error.

    On a 0-100 % axis, classes at 97 % and 99 % look the same; zoomed, the axis would exaggerate bars (their
    length would no longer be the value), so the marks are dots and the gap to 100 % is drawn explicitly.
    """
    names = _labels(per_class)
    values = np.array([float(v) for v in per_class.values()])
    lo = float(min(values.min(), 1.0)) if len(values) else 0.0
    span = max(1.0 - lo, 0.01)
    x0, x1 = max(0.0, lo - 0.3 * span), 1.0 + 0.03 * span
    gaps_x = [v for value in values for v in (value, 1.0, None)]
    gaps_y = [v for name in names for v in (name, name, None)]
    tickvals, ticktext = nice_ticks(x0, 1.0, n=4, percent=True)
    fig = go.Figure(
        [
            go.Scatter(
                x=gaps_x, y=gaps_y, mode="lines", line=dict(color=NEUTRAL, width=2), hoverinfo="skip", name="error"
            ),
            go.Scatter(
                x=values,
                y=names,
                mode="markers+text",
                name="accuracy",
                marker=dict(size=12, color=class_colors(len(names))),
                text=[f"{v:.1%}" for v in values],
                textposition="middle left",
                cliponaxis=False,
                customdata=1.0 - values,
                hovertemplate="%{y}: %{x:.2%} right, %{customdata:.2%} wrong<extra></extra>",
            ),
        ]
    )
    fig.add_vline(x=1.0, line=dict(color=NEUTRAL, width=1, dash="dot"))
    fig.update_layout(
        height=height,
        margin=dict(l=8, r=8, t=8, b=8),
        showlegend=False,
        xaxis=dict(range=[x0, x1], tickvals=tickvals, ticktext=ticktext, title="test accuracy", showgrid=True),
        yaxis=dict(type="category", autorange="reversed", title=None),
    )
    return fig


def training_curves(history: Sequence[dict], *, height: int = 300) -> go.Figure:
    """Loss per epoch from a manifest's `history` (dicts with epoch, train_loss, val_loss, val_mse).

    The MSE shares the chart on a second axis with its own round ticks (plotly aligned them to the loss grid,
    which gave labels like 0.01795)."""
    epochs = [h.get("epoch", i + 1) for i, h in enumerate(history)]
    fig = go.Figure()
    series = [
        ("train_loss", "training loss", PETROFF10[0], "solid"),
        ("val_loss", "validation loss", PETROFF10[1], "solid"),
        ("val_mse", "validation MSE", PETROFF10[3], "dot"),
    ]
    for key, label, color, dash in series:
        ys = [h.get(key) for h in history]
        if any(y is not None for y in ys):
            fig.add_trace(
                go.Scatter(
                    x=epochs,
                    y=ys,
                    mode="lines+markers",
                    name=label,
                    line=dict(color=color, dash=dash),
                    yaxis="y2" if key == "val_mse" else "y",
                )
            )
    mse = np.array([h["val_mse"] for h in history if isinstance(h.get("val_mse"), (int, float))], dtype=float)
    yaxis2 = dict(title="MSE", overlaying="y", side="right", showgrid=False)
    if mse.size and np.all(np.isfinite(mse)):
        tickvals, ticktext = nice_ticks(mse.min(), mse.max(), n=6)
        yaxis2.update(tickmode="array", tickvals=tickvals, ticktext=ticktext)
    fig.update_layout(
        height=height,
        margin=dict(l=8, r=8, t=8, b=8),
        hovermode="x unified",
        xaxis=dict(title="epoch", dtick=1 if len(epochs) <= 20 else None),
        yaxis=dict(title="loss"),
        yaxis2=yaxis2,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
    )
    return fig


def log_density_trace(log_density: np.ndarray, *, threshold: float | None = None, height: int = 220) -> go.Figure:
    """log p(z | class) at each step of a walk, with the "none" threshold as a dashed line.

    Composed as a dict (`_static`): `add_hline` alone took ~30 ms of every new walk."""
    log_density = np.asarray(log_density, dtype=np.float64)
    layout: dict = dict(
        height=height,
        margin=dict(l=8, r=8, t=8, b=8),
        showlegend=False,
        xaxis=dict(title=dict(text="step")),
        yaxis=dict(title=dict(text="log p(z | class)")),
    )
    if threshold is not None:
        y = float(threshold)
        layout["shapes"] = [
            dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=y, y1=y, line=dict(color=NEUTRAL, dash="dash"))
        ]
        layout["annotations"] = [
            dict(
                text="“none” below this",
                xref="x domain",
                x=1,
                xanchor="right",
                yref="y",
                y=y,
                yanchor="top",
                showarrow=False,
            )
        ]
    trace = dict(
        type="scatter",
        x=np.arange(len(log_density)),
        y=log_density,
        mode="lines",
        name="log p(z | class)",
        line=dict(color=PETROFF10[0], width=2),
        hovertemplate="step %{x}: %{y:.1f}<extra></extra>",
    )
    return _static({"data": [trace], "layout": layout})


# --------------------------------------------------------------------------- images


def _image_heatmap(levels: np.ndarray) -> go.Heatmap:
    """A grey image from its 8-bit levels (`to_uint8`): whole numbers are ~4 characters each in the JSON a
    browser receives, floats ~19 (a 60-frame walk: 150 kB instead of 650 kB)."""
    return go.Heatmap(z=np.asarray(levels), colorscale="gray", zmin=0, zmax=255, showscale=False, hoverinfo="skip")


def frames_animation(images: np.ndarray, labels: Sequence[str], *, height: int = 360, frame_ms: int = 120) -> go.Figure:
    """Images played as an animation in the browser: play / pause buttons and a slider under the image.

    images : array of shape (n, H, W) in [0, 1]; labels : n captions, the current one shown above the slider.
    """
    images = np.asarray(images)
    if images.ndim != 3 or len(images) != len(labels) or len(images) == 0:
        raise ValueError(f"need images (n, H, W) and n labels, got {images.shape} and {len(labels)} labels")
    images = to_uint8(images)
    # One heatmap is validated (its colorscale spelled out for plotly.js); the frames reuse it, and the
    # figure is composed as a dict (`_static`): even unvalidated, plotly building 60 Frame objects took
    # ~170 ms of every new walk on the Sampling page.
    # Each frame carries only its pixels: plotly.js merges a frame's trace into the drawn one, so the
    # colour scale and the rest are sent once (spelled out 60 times they were most of the work).
    first = _image_heatmap(images[0]).to_plotly_json()
    frames = [dict(data=[{"type": "heatmap", "z": img}], name=str(i)) for i, img in enumerate(images)]
    play = dict(
        label="▶ play",
        method="animate",
        args=[
            None,
            dict(
                frame=dict(duration=frame_ms, redraw=True),
                fromcurrent=True,
                transition=dict(duration=0),
                mode="immediate",
            ),
        ],
    )
    pause = dict(
        label="❚❚ pause", method="animate", args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate")]
    )
    steps = [
        dict(
            method="animate",
            label=escape_plotly(lab),
            args=[[str(i)], dict(frame=dict(duration=0, redraw=True), mode="immediate")],
        )
        for i, lab in enumerate(labels)
    ]
    layout = dict(
        height=height,
        margin=dict(l=4, r=4, t=4, b=96),
        xaxis=dict(visible=False, constrain="domain"),
        yaxis=dict(visible=False, autorange="reversed", scaleanchor="x"),
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                buttons=[play, pause],
                x=0,
                y=0,
                xanchor="left",
                yanchor="top",
                pad=dict(t=6),
                showactive=False,
            )
        ],
        sliders=[
            dict(
                steps=steps,
                x=0,
                len=1,
                y=0,
                yanchor="top",
                pad=dict(t=44, b=0),
                ticklen=0,
                minorticklen=0,
                font=dict(color="rgba(0,0,0,0)", size=8),  # per-step labels would overlap: hidden
                currentvalue=dict(visible=True, xanchor="right", font=dict(size=12, color=NEUTRAL)),
            )
        ],
    )
    return _static({"data": [first], "layout": layout, "frames": frames})


def bic_curve(bic: np.ndarray, chosen: int, class_name: str, *, height: int = 260) -> go.Figure:
    """BIC against the number of components of one class's mixture; the lowest (chosen) one is marked."""
    ks = np.arange(1, len(bic) + 1)
    fig = go.Figure(
        go.Scatter(
            x=ks,
            y=bic,
            mode="lines+markers",
            name="BIC",
            line=dict(color=PETROFF10[0]),
            hovertemplate="%{x} components: BIC %{y:,.0f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[chosen],
            y=[bic[chosen - 1]],
            mode="markers",
            name=f"chosen: {chosen}",
            marker=dict(size=14, color=PETROFF10[2], symbol="star"),
            hovertemplate=f"chosen: {chosen} components<extra></extra>",
        )
    )
    title = f"Class {escape_plotly(class_name)}: lower BIC = better trade-off of fit and size"
    fig.update_layout(
        height=height,
        margin=dict(l=8, r=8, t=32, b=8),
        showlegend=False,
        title=dict(text=title, font=dict(size=13)),
        xaxis=dict(title="components", dtick=1),
        yaxis=dict(title="BIC"),
    )
    return fig


SWEEP_PANELS = [
    ("test_accuracy", "test accuracy"),
    ("test_reconstruction_mse", "reconstruction MSE"),
    ("test_mean_log_likelihood", "mean log-likelihood"),
    ("sample_fidelity", "sample fidelity"),
]


def sweep_curves(rows: Sequence[dict], *, height_per_row: int = 240) -> go.Figure:
    """One small panel per measure against the latent size (rows: dicts with latent_dim and the measures).

    Two panels a row, so the titles and ticks stay readable on a phone as on a wide screen."""
    from plotly.subplots import make_subplots

    panels = [(k, t) for k, t in SWEEP_PANELS if any(r.get(k) is not None for r in rows)]
    n_cols = min(2, len(panels))
    n_rows = -(-len(panels) // n_cols)
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        subplot_titles=[t for _, t in panels],
        horizontal_spacing=0.12,
        vertical_spacing=0.4 / n_rows + 0.08,
    )
    dims = [r["latent_dim"] for r in rows]
    for i, (key, title) in enumerate(panels):
        at = dict(row=i // n_cols + 1, col=i % n_cols + 1)
        fig.add_trace(
            go.Scatter(
                x=dims,
                y=[r.get(key) for r in rows],
                mode="lines+markers",
                name=title,
                line=dict(color=class_colors(len(panels))[i]),
                hovertemplate="latent size %{x}: %{y:.4g}<extra>" + title + "</extra>",
            ),
            **at,
        )
        fig.update_xaxes(type="log", tickvals=dims, title="latent size", **at)
    fig.update_layout(height=height_per_row * n_rows, margin=dict(l=8, r=8, t=40, b=8), showlegend=False)
    return fig


PASS_COLOR, FAIL_COLOR = "#1A9850", "#D73027"


def none_tests(tests, val_scores: dict[str, np.ndarray], *, height_per_test: int = 90) -> go.Figure:
    """Where one input falls against each "none" test: one row per test, the validation images' scores
    as a grey histogram (real images the model never trained on), the threshold as a line, the input as
    a diamond, green when it passes, red when it fails.

    tests : sequence of latent.bundle.reading.TestResult; val_scores : {test: validation scores}.

    The rows are laid out by hand (axis domains, threshold lines as shapes) instead of with
    `make_subplots` and `add_vline`, which took ~100 ms of the Draw page's ~200 ms per drawing.
    """
    tests = list(tests)
    n = max(1, len(tests))
    gap = 0.5 / n  # between rows, as a share of the whole height (room for the next row's title)
    row_height = (1.0 - gap * (n - 1)) / n
    data: list[dict] = []
    layout: dict = {
        "height": height_per_test * n + 30,
        "margin": dict(l=8, r=8, t=28, b=8),
        "bargap": 0,
        "showlegend": False,
        "shapes": [],
        "annotations": [],
    }
    for row, t in enumerate(tests, start=1):
        x, y = ("x", "y") if row == 1 else (f"x{row}", f"y{row}")
        top = 1.0 - (row - 1) * (row_height + gap)
        values = np.asarray(val_scores.get(t.test, []), dtype=np.float64)
        lo = float(min(np.quantile(values, 0.001) if len(values) else t.value, t.value, t.threshold))
        hi = float(max(np.quantile(values, 0.999) if len(values) else t.value, t.value, t.threshold))
        pad = 0.08 * (hi - lo or 1.0)
        if len(values):
            counts, edges = np.histogram(np.clip(values, lo, hi), bins=40, range=(lo, hi))
            data.append(
                dict(
                    type="bar",
                    x=(edges[:-1] + edges[1:]) / 2,
                    y=counts / counts.max(),
                    width=np.diff(edges),
                    marker=dict(color="#B8BFC9"),
                    hoverinfo="skip",
                    xaxis=x,
                    yaxis=y,
                )
            )
        color = PASS_COLOR if t.passed else FAIL_COLOR
        verdict = "passes" if t.passed else "fails: " + t.reason
        data.append(
            dict(
                type="scatter",
                x=[t.value],
                y=[0.5],
                mode="markers",
                xaxis=x,
                yaxis=y,
                marker=dict(symbol="diamond", size=16, color=color, line=dict(color="white", width=1)),
                hovertemplate=escape_plotly(f"{t.label}: {t.value:.2f} (threshold {t.threshold:.2f}, {verdict})")
                + "".join(
                    "<br>" + escape_plotly(f"{name} {value:.2f}, adds {c:+.2f}")
                    for name, value, c in getattr(t, "parts", ())
                )
                + "<extra></extra>",
            )
        )
        layout["shapes"].append(
            dict(
                type="line",
                x0=t.threshold,
                x1=t.threshold,
                y0=0,
                y1=1,
                xref=x,
                yref=f"{y} domain",
                line=dict(color="#555", dash="dash", width=2),
            )
        )
        layout["annotations"].append(
            dict(
                text=escape_plotly(t.label),
                x=0.5,
                xref="paper",
                xanchor="center",
                y=top,
                yref="paper",
                yanchor="bottom",
                showarrow=False,
                font=dict(size=14),
            )
        )
        layout["xaxis" if row == 1 else f"xaxis{row}"] = dict(
            range=[lo - pad, hi + pad], showgrid=False, anchor=y, domain=[0.0, 1.0]
        )
        layout["yaxis" if row == 1 else f"yaxis{row}"] = dict(
            visible=False, range=[0, 1.05], anchor=x, domain=[max(top - row_height, 0.0), min(top, 1.0)]
        )
    return _static(dict(data=data, layout=layout))  # redrawn for every input: no plotly object tree, no copies


def reliability_diagram(curves: dict[str, dict], *, height: int = 340) -> go.Figure:
    """Accuracy against confidence per bin, one line per curve (e.g. before and after the temperature),
    the diagonal where they should lie; marker area follows how many answers fall in the bin.

    curves : {name: {"confidence": [...], "accuracy": [...], "count": [...]}}.
    """
    fig = go.Figure(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line=dict(color="#888", dash="dot"),
            name="perfectly calibrated",
            hoverinfo="skip",
        )
    )
    for (name, c), color in zip(curves.items(), ["#D55E00", "#0072B2", "#009E73"], strict=False):
        count = np.asarray(c["count"], dtype=np.float64)
        size = 6 + 18 * np.sqrt(count / max(count.max(), 1))
        fig.add_trace(
            go.Scatter(
                x=c["confidence"],
                y=c["accuracy"],
                mode="lines+markers",
                name=escape_plotly(name),
                line=dict(color=color),
                marker=dict(size=size, color=color),
                customdata=count,
                hovertemplate="confidence %{x:.1%}: right %{y:.1%} of %{customdata:,} answers<extra></extra>",
            )
        )
    fig.update_layout(
        height=height,
        margin=dict(l=8, r=8, t=8, b=8),
        legend=dict(orientation="h", y=-0.2),
        xaxis=dict(title="confidence (probability of the answer)", range=[0, 1.02], tickformat=".0%"),
        yaxis=dict(title="share right", range=[0, 1.02], tickformat=".0%"),
    )
    return fig
