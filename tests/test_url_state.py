"""ui/url_state.py's parsing half: every query parameter is checked, and a bad one is refused with a message
saying what was expected (the page then falls back with a note)."""

from __future__ import annotations

import pytest

from ui import url_state as us


def test_integers_are_checked_and_snapped_to_their_step():
    spec = us.integer(20, 500, step=10)
    assert spec.parse("200") == 200 and spec.parse(" 37 ") == 40 and spec.dump(40) == "40"
    for bad in ("abc", "1e3", "10", "501", ""):
        with pytest.raises(us.BadParam, match="from 20 to 500"):
            spec.parse(bad)


def test_numbers_are_finite_in_range_and_on_the_slider_grid():
    t = us.number(0.0, 1.0, step=0.01, digits=2)
    assert t.parse("0.3") == pytest.approx(0.3) and t.parse("0.304") == pytest.approx(0.3)
    assert t.dump(0.3) == "0.3" and t.dump(1.0) == "1"
    for bad in ("nan", "inf", "-0.5", "1.2", "x"):
        with pytest.raises(us.BadParam):
            t.parse(bad)
    grid = us.number(-40.0, -30.0, step=0.05, origin=-37.39)  # the Draw threshold's grid starts at its default
    assert grid.parse("-37.39") == pytest.approx(-37.39) and grid.parse("-37.3") == pytest.approx(-37.29)


def test_choices_flags_and_optional_values():
    show = us.choice({"all": "test images and styles", "dots": "test images"})
    assert show.parse("dots") == "test images" and show.dump("test images and styles") == "all"
    with pytest.raises(us.BadParam, match="one of all, dots"):
        show.parse("everything")
    flag = us.flag()
    assert flag.parse("1") is True and flag.parse("0") is False and flag.dump(False) is None and flag.dump(True) == "1"
    with pytest.raises(us.BadParam):
        flag.parse("maybe")
    point = us.optional(us.integer(0, 9))
    assert point.parse("none") is None and point.parse("") is None and point.parse("3") == 3
    assert point.dump(None) is None


def test_classes_by_name_or_by_number_when_names_are_not_numbers():
    digits = us.class_index([str(i) for i in range(10)])
    assert digits.parse("7") == 7 and digits.dump(7) == "7"
    clothes = us.class_index(["T-shirt/top", "Trouser", "Shirt"])
    assert clothes.parse("Shirt") == 2 and clothes.parse("1") == 1 and clothes.dump(0) == "T-shirt/top"
    with pytest.raises(us.BadParam, match="a class of this model"):
        clothes.parse("Sock")
    with pytest.raises(us.BadParam):
        clothes.parse("3")
    twins = us.class_index(["a", "a"])  # names that repeat travel as numbers
    assert twins.dump(1) == "1" and twins.parse("1") == 1


def test_styles_travel_as_the_number_shown():
    spec = us.style_number([2, 0, 1])  # component 2 is style 1 (the heaviest)
    assert spec.parse("1") == 2 and spec.dump(1) == "3"
    with pytest.raises(us.BadParam):
        spec.parse("4")
    assert us.style_number([2, 0], allow_none=True).parse("0") is None


def test_spots_are_pairs_inside_the_map():
    spec = us.point(0.0, 10.0, lo_y=-5.0, hi_y=5.0)
    assert spec.parse("1.5,-2") == (1.5, -2.0) and spec.dump((1.5, -2.0)) == "1.500,-2.000"
    for bad in ("1.5", "1,2,3", "11,0", "1,nan", "a,b"):
        with pytest.raises(us.BadParam):
            spec.parse(bad)


def test_a_model_is_named_never_opened_by_path():
    paths = ["/a/assets/mnist", "/b/mnist", "/a/assets/fashion mnist"]
    names = us.model_names(paths)
    assert names == {"mnist": paths[0], "mnist-2": paths[1], "fashion-mnist": paths[2]}
    spec = us.model_spec(paths)
    assert spec.parse("mnist-2") == paths[1] and spec.dump(paths[2]) == "fashion-mnist"
    with pytest.raises(us.BadParam, match="cannot open a path"):
        spec.parse("/b/mnist")
    with pytest.raises(us.BadParam, match="one of mnist, mnist-2"):
        spec.parse("cifar")
