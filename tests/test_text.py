"""Text from a bundle or a folder name is shown as plain text: Markdown and Plotly's HTML both escaped."""

from __future__ import annotations

import re
import string

import pytest

from latent.text import escape_markdown, escape_plotly, indefinite_article, md_code, one_line

# Names a shared bundle could carry: links, remote images, raw HTML, emphasis, Streamlit directives, autolinks.
HOSTILE = [
    "[x](http://example.com)",
    "![i](http://example.com/a.png)",
    "<img src=x>",
    '<a href="http://e">e</a>',
    "**bold**",
    "`code` and $x^2$",
    ":red[red] :material/home:",
    "www.example.com",
    "me@example.com",
    "# heading",
    "- item",
    "1. item",
    "| a | b |",
    "<b>bold</b><br><span style='color:red'>s</span>",
    "%{x} &lt;b&gt;",
    "line\nbreak\r\ttab",
]


def markup_leaks(value: str, *, blocks: bool = False) -> list[str]:
    """Markdown that would render as a link, an image, HTML or an autolink (and with `blocks`, a heading,
    a list or a table). Code spans and backslash escapes are literal, so they are removed first."""
    plain = re.sub(r"(`+)(.+?)\1", "", value)
    plain = re.sub(r"\\.", "", plain)
    block = r"|^\s*(?:#|[-*+] |\d+\. |\|)" if blocks else ""
    return re.findall(r"\]\(|!\[|<[A-Za-z/!?]|https?:|www\.|\S@\S" + block, plain, flags=re.M)


@pytest.mark.parametrize("name", HOSTILE)
def test_escaped_markdown_has_no_markup_and_reads_as_the_original(name):
    escaped = escape_markdown(name)
    assert markup_leaks(escaped, blocks=True) == []
    assert re.sub(r"\\(.)", r"\1", escaped) == one_line(name)  # unescaping gives the text back
    assert "\n" not in escaped and "\r" not in escaped


def test_every_ascii_punctuation_character_is_escaped():
    escaped = escape_markdown(string.punctuation)
    assert escaped == "".join("\\" + c for c in string.punctuation)
    assert escape_markdown("plain text 123 ü") == "plain text 123 ü"


@pytest.mark.parametrize("name", HOSTILE + ["a ``` b", "`"])
def test_code_spans_fence_any_backticks(name):
    span = md_code(name)
    fence = re.match(r"`+", span).group()
    body = span[len(fence) : -len(fence)]
    assert span.endswith(fence) and fence not in body.replace(fence + "`", "")
    assert max((len(r) for r in re.findall(r"`+", body)), default=0) < len(fence)
    assert body.strip() == one_line(name).strip()


@pytest.mark.parametrize("name", HOSTILE)
def test_plotly_text_has_no_tags_entities_or_template_fields(name):
    escaped = escape_plotly(name)
    assert "<" not in escaped and ">" not in escaped and "%{" not in escaped
    # plotly decodes &amp; &lt; &gt; and numeric entities only: decoding them gives the text back
    decoded = re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), escaped)
    decoded = decoded.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert decoded == one_line(name)


def test_repeated_picker_labels_name_their_folder_then_their_path():
    from latent.figures.summary import unique_labels

    same, other = "mnist (MNIST, 16-d)", "fashion (Fashion-MNIST, 64-d)"
    labels = {"/a/x/mnist": same, "/b/y/mnist": same, "/c/x/mnist": same, "/d/fashion": other}
    out = unique_labels(labels)
    assert len(set(out.values())) == len(out) and list(out) == list(labels)
    assert out["/d/fashion"] == other
    assert out["/b/y/mnist"] == "mnist (MNIST, 16-d) · y/mnist"
    assert out["/a/x/mnist"].endswith("/a/x/mnist") and out["/c/x/mnist"].endswith("/c/x/mnist")


@pytest.mark.parametrize(
    ("name", "article"),
    [
        ("8", "an"),
        ("7", "a"),
        ("11", "an"),
        ("18", "an"),
        ("1", "a"),
        ("80", "an"),
        ("Ankle boot", "an"),
        ("T-shirt/top", "a"),
        ("Umbrella", "an"),
        ("uniform", "a"),
        ("Bag", "a"),
        ("owl", "an"),
    ],
)
def test_the_answer_says_an_8_not_a_8(name, article):
    """The Draw page's answer reads "It's an 8" and "It's an Ankle boot" (it said "It's a 8")."""
    assert indefinite_article(name) == article


def test_a_share_of_validation_images_under_one_percent_is_not_shown_as_zero():
    """The digit bundles' latent test refuses 0.5 % of validation images: Home and `info` said "0%"."""
    import json

    from latent.figures.summary import describe_bundle, headline_numbers
    from latent.paths import bundle_path

    path = bundle_path("mnist")
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["calibration"]["val_rejection_rate"] == 0.005
    shown = {h.label: h.value for h in headline_numbers(manifest)}
    assert shown["Answered “none” (validation)"] == "0.5%"
    assert "(0.5% of validation images)" in describe_bundle(manifest, path)


def test_info_names_every_none_test_and_its_threshold_for_filled_squares():
    """`info` showed the latent test's threshold only; the combined test decides most refusals, and a
    picture that fills a small square has a threshold of its own."""
    import json

    from latent.figures.summary import describe_bundle
    from latent.paths import bundle_path

    for name in ("mnist", "fashion-mnist"):
        path = bundle_path(name)
        manifest = json.loads((path / "manifest.json").read_text())
        text = describe_bundle(manifest, path)
        calibration = manifest["calibration"]
        if name == "mnist":
            combined, square = calibration["combined"]["threshold"], calibration["filled_square"]["thresholds"]
            assert (
                f"combined      'none' below {combined:.2f} (1% of validation images); "
                f"{square['combined']:.2f} for pictures that fill a small square"
            ) in text
        else:  # the clothes bundles: each test alone, none of their own for filled squares
            assert f"reconstruction 'none' above {calibration['reconstruction_above']:.2f}" in text
            assert f"detector      'none' below {calibration['detector_below']:.2f}" in text
            assert "small square" not in text
