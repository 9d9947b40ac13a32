"""The built page in a real headless chromium: ranking, filters, paging, hostile input, narrow screens."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from leaderboard_factories import make_submission, write_submission

from imagenet_g.leaderboard import build_leaderboard, rank

CHROMIUM = Path("/usr/bin/chromium")
EVIL = "<script>alert(1)</script><b>x</b>"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,1800")
# every natural shift set with its control: a model with ER on all of them
ROBUST = {"imagenet": 80.0, "imagenet-v2": 70.0, "imagenet-sketch": 40.0, "imagenet-r": 60.0,
          "val-on-imagenet-r-classes": 94.0, "imagenet-a": 30.0, "val-on-imagenet-a-classes": 94.0,
          "objectnet": 50.0, "val-on-objectnet-classes": 85.0, "imagenet-g": 60.0}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def driver():
    chromedriver = shutil.which("chromedriver")
    if not CHROMIUM.exists() or chromedriver is None:
        pytest.skip("Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="imagenet-g-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    yield browser
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def built(board_root, catalog):
    write_submission(board_root, make_submission("evil", {"imagenet": 65.0, "imagenet-g": 41.0}, name=EVIL,
                                                 category="other", paper="https://example.org/p?a=1&b=2"))
    write_submission(board_root, make_submission("robust", ROBUST, name="Robust model", category="generated"))
    return build_leaderboard(board_root, catalog, bootstrap=0, plots=False)


def _open(driver, built, fragment="", width=1280):
    driver.set_window_size(width, 1800)
    driver.get(built.html_path.as_uri() + fragment)
    driver.get_log("browser")
    driver.refresh()  # a fresh load, so the log holds only this page's messages
    return driver


def _errors(driver):
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def _rows(driver):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "#board tbody tr")


def _cells(driver, key):
    from selenium.webdriver.common.by import By

    keys = [th.get_attribute("data-key") for th in driver.find_elements(By.CSS_SELECTOR, "#board thead th")]
    index = keys.index(key)
    return [row.find_elements(By.TAG_NAME, "td")[index].text.split("\n")[0] for row in _rows(driver)]


def test_page_ranks_published_rows_and_submissions_by_the_declared_rank(driver, built):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(driver, built)
    assert _errors(driver) == []
    board, release = built.board, built.board.releases["v1"]
    default = board.ranks[0]
    ranked, _ = rank.order([*release.entries, *board.published], default)
    # first page: the top 50 of the default rank, in order, each with its mean ER and interval
    assert [r.get_attribute("data-slug") for r in _rows(driver)] == [e.slug for e in ranked[:50]]
    assert _cells(driver, "place")[:3] == ["1", "2", "3"]
    top = rank.rank_value(ranked[0], default)
    assert _cells(driver, "score")[0].startswith(f"+{top.er:.2f} [+{top.ci_low:.2f}, +{top.ci_high:.2f}]" if top.ci_low
                                                 else f"+{top.er:.2f}")
    assert driver.find_element(By.ID, "rank-note").text.startswith("Ranked by mean ER over ImageNet-V2, ImageNet-Sketch")
    # the submission sits at its place among the published rows, marked as re-run
    place = next(i for i, e in enumerate(ranked, 1) if e.slug == "robust")
    driver.find_element(By.ID, "filter").send_keys("Robust model")
    _wait_rows(driver, 1)
    assert _cells(driver, "place") == [str(place)]
    assert _rows(driver)[0].find_element(By.CSS_SELECTOR, ".badge.rerun").text == "re-run"
    text = _details_text(driver, _rows(driver)[0])
    assert "Preprocessing\ncrop_pct: 0.875" in text and "Source\nsubmission file submissions/v1/robust.json" in text
    assert "Precision\nfp32" in text
    # another declared rank re-orders the table and is written to the fragment
    Select(driver.find_element(By.ID, "rank")).select_by_value("er-objectnet")
    assert driver.execute_script("return window.location.hash") == "#release=v1&rank=er-objectnet"
    by_objectnet = [e for e in rank.order([*release.entries, *board.published], board.ranks[6])[0] if e.slug == "robust"]
    assert by_objectnet and _cells(driver, "score")[0].startswith(f"{by_objectnet[0].er['objectnet'].linear.er:+.2f}")
    assert _errors(driver) == []


def _details_text(driver, row):
    """Open a row's details and return their text once the page has filled them (it does so on the async toggle event)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    details = row.find_element(By.CSS_SELECTOR, "details.more")
    details.find_element(By.TAG_NAME, "summary").click()
    WebDriverWait(driver, 5).until(lambda d: details.find_elements(By.TAG_NAME, "dl"))
    return details.text


def _wait_rows(driver, n):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 5).until(lambda d: len(_rows(d)) == n)


def test_filters_and_paging(driver, built):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(driver, built)
    total = len(built.board.published) + len(built.board.releases["v1"].entries)
    assert driver.find_element(By.ID, "count").text.startswith(f"{total} of {total} rows shown")
    assert driver.find_element(By.ID, "page-info").text == f"Page 1 of {-(-total // 50)}"
    driver.find_element(By.ID, "next-page").click()
    assert _cells(driver, "place")[0] == "51"
    Select(driver.find_element(By.ID, "category")).select_by_value("generated")
    assert sorted(r.get_attribute("data-slug") for r in _rows(driver)) == ["gen-model", "robust"]
    Select(driver.find_element(By.ID, "category")).select_by_value("")
    Select(driver.find_element(By.ID, "source")).select_by_value("imagenet-testbed")
    assert len(_rows(driver)) == 50 and set(_cells(driver, "source")) == {"imagenet-testbed"}
    driver.find_element(By.ID, "filter").send_keys("resnet50_swav")
    _wait_rows(driver, 1)
    text = _details_text(driver, _rows(driver)[0])
    assert "Type in the source table\nSTANDARD" in text and "Precision\nnot stated by the source" in text
    assert _errors(driver) == []


@pytest.mark.parametrize("fragment", ["#release=constructor", "#release=__proto__", "#release=toString",
                                      "#release=%E0%A4%A", "#rank=__proto__&release=hasOwnProperty", "#release=smoke&rank=%"])
def test_hostile_fragment_falls_back_to_a_known_release(driver, built, fragment):
    from selenium.webdriver.common.by import By

    _open(driver, built, fragment)
    assert _errors(driver) == []
    expected = "smoke" if fragment.startswith("#release=smoke") else "v1"
    assert driver.find_element(By.ID, "release").get_attribute("value") == expected
    assert driver.find_element(By.ID, "rank").get_attribute("value") == built.board.default_rank
    assert len(_rows(driver)) == 50


@pytest.mark.parametrize("width", [1280, 390])
def test_rank_model_and_headline_columns_are_on_screen(driver, built, width):
    from selenium.webdriver.common.by import By

    _open(driver, built, width=width)
    viewport = driver.execute_script("return document.documentElement.clientWidth")
    assert driver.execute_script("return document.documentElement.scrollWidth") <= viewport  # no page-wide overflow
    for key in ("place", "name", "score"):
        box = driver.find_element(By.CSS_SELECTOR, f'#board thead th[data-key="{key}"]').rect
        assert 0 <= box["x"] and box["x"] + box["width"] <= viewport, (key, box, viewport)
    # scrolled sideways, the model column stays where it was
    wrap = driver.find_element(By.CSS_SELECTOR, ".table-wrap")
    name = driver.find_element(By.CSS_SELECTOR, '#board thead th[data-key="name"]')
    before = name.rect["x"]
    driver.execute_script("arguments[0].scrollLeft = 400", wrap)
    assert driver.execute_script("return arguments[0].scrollLeft", wrap) > 0
    assert name.rect["x"] == pytest.approx(before, abs=1)


def test_hostile_names_stay_text(driver, built, board_root):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(driver, built)
    driver.find_element(By.ID, "filter").send_keys("alert")
    _wait_rows(driver, 1)
    assert EVIL in _rows(driver)[0].find_element(By.CSS_SELECTOR, "td.name").text
    driver.find_element(By.CSS_SELECTOR, '#plot-tabs [data-shift="imagenet-g"]').click()
    point = driver.find_element(By.CSS_SELECTOR, '#plot circle.pt-entry[data-slug="evil"]')
    ActionChains(driver).move_to_element(point).perform()
    tooltip = driver.find_element(By.ID, "tooltip")
    assert tooltip.is_displayed() and tooltip.text.splitlines()[0] == EVIL
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text
    assert driver.find_elements(By.TAG_NAME, "b") == []
    assert len(driver.find_elements(By.TAG_NAME, "script")) == 2
    driver.save_screenshot(str(board_root / "screenshot.png"))
    # release selector: smoke has one submission, which has no ImageNet accuracy and so no point on the plot
    Select(driver.find_element(By.ID, "release")).select_by_value("smoke")
    assert driver.find_element(By.ID, "release-info").text.startswith("1 submission")
    assert driver.find_element(By.ID, "plot-status").text.startswith("No ImageNet-G fit: not enough baselines")
    assert driver.find_elements(By.CSS_SELECTOR, "#plot circle.pt-entry") == []
    assert driver.execute_script("return window.location.hash").startswith("#release=smoke&rank=")
    assert _errors(driver) == []


def test_board_without_releases_says_so(tmp_path, catalog, driver):
    from selenium.webdriver.common.by import By

    (tmp_path / "leaderboard" / "submissions").mkdir(parents=True)
    driver.get(build_leaderboard(tmp_path / "leaderboard", catalog, bootstrap=0, plots=False).html_path.as_uri())
    assert _errors(driver) == []
    assert driver.find_element(By.ID, "empty").text.startswith("No releases on this board yet")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#sources-table tbody tr")) == 2
