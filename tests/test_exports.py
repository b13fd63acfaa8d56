"""What a visitor downloads: PNG grids that open as the images shown, CSV that parses back to the numbers."""

import csv
import io

import numpy as np
import pytest
from PIL import Image

from latent.figures.exports import grid_png, matrix_csv, png_bytes, table_csv


def test_grid_png_opens_as_the_tiled_upscaled_images():
    images = np.stack([np.full((4, 4), v) for v in (0.0, 0.5, 1.0)])
    png = grid_png(images, 2, scale=2)
    img = np.asarray(Image.open(io.BytesIO(png)))
    assert img.shape == (2 * (2 * 6 + 2), 2 * (2 * 6 + 2))  # 2 x 2 cells of 4 px + 2 px padding, twice as big
    cells = [img[2 * 2 + 1, 2 * 2 + 1], img[2 * 2 + 1, 2 * 8 + 1], img[2 * 8 + 1, 2 * 2 + 1]]
    assert cells[0] == 0 and 120 <= cells[1] <= 135 and cells[2] == 255
    with pytest.raises(ValueError, match="uint8"):
        png_bytes(np.zeros((2, 2)))


def test_matrix_csv_parses_back_and_keeps_hostile_names_as_text():
    names = ["zero", '=HYPERLINK("http://x")', 'a, "quoted" name']
    m = np.array([[0.0, 1.5, 2.25], [3.0, 0.0, -1.0], [np.inf, 4.0, 0.0]])
    rows = list(csv.reader(io.StringIO(matrix_csv(m, names, names, corner="from \\ to"))))
    assert rows[0] == ["from \\ to", "zero", '\'=HYPERLINK("http://x")', 'a, "quoted" name']
    assert [r[0] for r in rows[1:]] == ["zero", '\'=HYPERLINK("http://x")', 'a, "quoted" name']
    np.testing.assert_array_equal(np.array([[float(v) for v in r[1:]] for r in rows[1:]]), m)  # -1.0 stays a number
    with pytest.raises(ValueError):
        matrix_csv(m[:2], names, names)
    with pytest.raises(ValueError):
        table_csv(["a", "b"], [[1]])
