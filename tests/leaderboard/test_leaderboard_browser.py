"""The built page in a real headless chromium: no console errors, sorting, one point per entry, escaping."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from leaderboard_factories import make_submission, write_submission

from imagenet_g.leaderboard import build_leaderboard

CHROMIUM = Path("/usr/bin/chromium")
EVIL = "<script>alert(1)</script><b>x</b>"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,1800")

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
def page(board_root, catalog, driver):
    natural = {"val-on-imagenet-r-classes": 92.0, "imagenet-r": 50.0}
    write_submission(board_root, make_submission("evil", {"imagenet": 65.0, "imagenet-g": 41.0, **natural}, name=EVIL,
                                                 category="other", paper="https://example.org/p?a=1&b=2"))
    html = build_leaderboard(board_root, catalog, bootstrap=0).html_path
    driver.get(html.as_uri())
    driver.get_log("browser")  # start each test with an empty log
    return driver


def _column(driver, key):
    from selenium.webdriver.common.by import By

    index = [th.get_attribute("data-key") for th in driver.find_elements(By.CSS_SELECTOR, "#board thead th")].index(key)
    return [row.find_elements(By.TAG_NAME, "td")[index].text.split("\n")[0]
            for row in driver.find_elements(By.CSS_SELECTOR, "#board tbody tr")]


def test_page_loads_sorts_plots_switches_and_escapes(page, board_root):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = page
    driver.refresh()
    assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []

    # v1 is shown first: 5 entries, ranked by ImageNet-G top-1
    assert _column(driver, "imagenet-g") == ["52.00", "50.00", "45.00", "41.00", "40.00"]
    driver.find_element(By.CSS_SELECTOR, 'th[data-key="imagenet"]').click()
    assert _column(driver, "imagenet") == ["80.00", "70.00", "70.00", "65.00", "60.00"]
    driver.find_element(By.CSS_SELECTOR, 'th[data-key="imagenet"]').click()
    assert _column(driver, "imagenet") == ["60.00", "65.00", "70.00", "70.00", "80.00"]
    assert driver.find_element(By.CSS_SELECTOR, 'th[data-key="imagenet"]').get_attribute("aria-sort") == "ascending"

    # ImageNet-G plot: one point per entry, with the fit line; hover names the model
    points = driver.find_elements(By.CSS_SELECTOR, "#plot circle.pt-entry")
    assert len(points) == 5
    assert len(driver.find_elements(By.CSS_SELECTOR, "#plot line.fit")) == 1
    evil_point = driver.find_element(By.CSS_SELECTOR, '#plot circle.pt-entry[data-slug="evil"]')
    ActionChains(driver).move_to_element(evil_point).perform()
    tooltip = driver.find_element(By.ID, "tooltip")
    assert tooltip.is_displayed() and tooltip.text.splitlines()[0] == EVIL

    # ImageNet-R plot: the imagenet-testbed reference points plus the one entry evaluated on ImageNet-R
    driver.find_element(By.CSS_SELECTOR, '#plot-tabs [data-shift="imagenet-r"]').click()
    assert len(driver.find_elements(By.CSS_SELECTOR, "#plot circle.pt-entry")) == 1
    assert len(driver.find_elements(By.CSS_SELECTOR, "#plot circle.pt-ref")) == 82
    driver.save_screenshot(str(board_root / "screenshot.png"))

    # the name is text: no alert fired, no <b> or injected <script> element anywhere
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text
    assert driver.find_elements(By.TAG_NAME, "b") == []
    assert len(driver.find_elements(By.TAG_NAME, "script")) == 2
    assert EVIL in driver.find_element(By.CSS_SELECTOR, '#board tr[data-slug="evil"] td.name').text

    # release selector: smoke has one entry, which has no ImageNet accuracy and so no point on the plot
    Select(driver.find_element(By.ID, "release")).select_by_value("smoke")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#board tbody tr")) == 1
    driver.find_element(By.CSS_SELECTOR, '#plot-tabs [data-shift="imagenet-g"]').click()
    assert driver.find_element(By.ID, "plot-status").text.startswith("Not enough baselines for the ImageNet-G fit")
    assert driver.find_elements(By.CSS_SELECTOR, "#plot circle.pt-entry") == []
    assert driver.execute_script("return window.location.hash") == "#release=smoke"
    assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []


def test_board_without_releases_says_so(tmp_path, catalog, driver):
    from selenium.webdriver.common.by import By

    (tmp_path / "leaderboard" / "submissions").mkdir(parents=True)
    driver.get(build_leaderboard(tmp_path / "leaderboard", catalog, bootstrap=0).html_path.as_uri())
    assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
    assert driver.find_element(By.ID, "empty").text.startswith("No releases on this board yet")
    assert driver.find_element(By.ID, "reference-count").text == "87"
