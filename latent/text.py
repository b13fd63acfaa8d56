"""Text from a bundle or a folder name, made safe to show as plain text.

Class names, a bundle's name, its dataset's name and source, the command that built it, and folder
names come from whoever made the bundle. Streamlit renders Markdown (links, images that the viewer's
browser fetches, emphasis, its own `:color[...]` and `$math$`) in almost every text it shows, and
Plotly renders a subset of HTML (`<a>`, `<b>`, `<br>`, `<span style>`) in names, labels and hover
text. So each such text passes through one of these functions on its way to the screen:

- `escape_markdown` for st.markdown / caption / info / error / metric / table cells / image captions;
- `md_code` for a path or a command shown as inline code;
- `escape_plotly` for trace names, category labels, hover text and titles (done inside latent.figures.plots).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every character CommonMark lets a backslash escape
_PLOTLY = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;", "%": "&#37;"}


def indefinite_article(name) -> str:
    """The article before a class name as it is said: "an 8", "an ankle boot", "a T-shirt/top", "a 7"."""
    word = one_line(name).strip().lower()
    digits = word.split(" ")[0].replace(",", "")
    if digits.isdigit():  # said "eight...", "eleven", "eighteen" (thousand, million...)
        return "an" if digits.startswith("8") or (len(digits) % 3 == 2 and digits[:2] in ("11", "18")) else "a"
    if word[:1] in ("a", "e", "i", "o"):
        return "an"
    if word[:1] == "u" and not re.match(r"u(ni|s[eu]|ti|ra|re)", word):  # an umbrella, a uniform, a user
        return "an"
    return "a"


def one_line(text) -> str:
    """str(text) with every run of control characters (newlines, tabs...) replaced by one space."""
    return _CONTROL.sub(" ", str(text))


def escape_markdown(text) -> str:
    """Text that Markdown (and Streamlit's extensions of it) shows literally, on one line.

    Every ASCII punctuation character gets a backslash, which CommonMark defines as "this character,
    literally": no link, image, HTML, emphasis, heading, list, table, autolink (``http:``, ``www.``,
    ``a@b``), Streamlit directive or math can form. Letters, digits and other characters pass as they are.
    """
    return _ASCII_PUNCTUATION.sub(r"\\\1", one_line(text))


def md_code(text) -> str:
    """`text` as one Markdown inline code span, whatever backticks it holds (a fence longer than any run)."""
    text = one_line(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape_plotly(text) -> str:
    """Text that Plotly shows literally: no tag, no template field (``%{...}``), on one line.

    Plotly decodes only ``&amp; &lt; &gt;`` (and a few others) by name, and every numeric entity, so
    quotes and ``%`` become numeric entities.
    """
    return "".join(_PLOTLY.get(c, c) for c in one_line(text))
