"""The interactive page in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

The test starts `alliance-sim app` on a free localhost port, opens the page, checks a
lever's dotted path on hover, moves the hegemon's capacity slider, waits for the ensemble
figure to change, steps the Mesa run, saves the settings as a what-if and loads the saved
file with `load_scenario`. A second test opens the Explain tab, waits for the decomposition
figure and the unforced replay, moves a slider and waits for the figure to be redrawn, then
computes a small knock-out table with its button. Screenshots go under the pytest tmp dir;
with ALLIANCE_SIM_SCREENSHOT=1 they are also copied to docs/img/app.png and
docs/img/app_explain.png (the pictures in the docs), so an ordinary test run leaves the
source tree untouched. Each test prints how long a slider change took to redraw in the
browser (run with -s to see it); no test asserts a time.

It skips, saying why, where /usr/bin/chromium is missing or the `app` extra (Solara) or
Playwright is not installed. Playwright never downloads a browser here: it launches the
system Chromium through `executable_path`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCENARIO = ROOT / "scenarios" / "csto_2022.yaml"
SERVER_START_SECONDS = 90
WAIT_MS = 45_000
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

MONTH_NOW = "+(document.body.innerText.match(/Month (\\d+) of 60/) || [0, -1])[1]"
"""JavaScript: the month the Mesa run shows now (-1 when none is shown)."""

SEE_PROGRESS = """() => {
    window.sawProgress = false;
    new MutationObserver(() => {
        if (document.querySelector(".knockout-progress")) window.sawProgress = true;
    }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""
"""JavaScript: from now on, note whether the knock-outs' progress line is ever shown."""

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


def _skip_without_browser() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium package to run the browser test)")
    if importlib.util.find_spec("solara") is None:
        pytest.skip("the app extra is not installed (pip install -e '.[app]')")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("Playwright is not installed (pip install -e '.[test]')")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """`alliance-sim app` on a free port, in its own process group; yields the page's URL.

    One server serves every test of this module; each test opens its own browser page,
    and so its own session (Solara keeps one copy of the page's state per page).
    """
    _skip_without_browser()
    port = _free_port()
    tmp_path = tmp_path_factory.mktemp("server")
    log = (tmp_path / "server.log").open("w")
    command = [sys.executable, "-m", "alliance_sim", "app", str(SCENARIO), "--port", str(port), "--no-browser"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if process.poll() is not None:
                log.flush()
                pytest.fail(f"the server stopped (code {process.returncode}):\n{(tmp_path / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer within {SERVER_START_SECONDS} s")
            time.sleep(0.3)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
        log.close()


def _image_source(page, selector: str) -> str:
    return page.eval_on_selector(selector, "img => img.src")


@contextmanager
def _browser(tmp_path: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1500, "height": 1000},
            timeout=WAIT_MS,
        )
        context.set_default_timeout(WAIT_MS)
        try:
            yield context.new_page()
        finally:
            context.close()


def _wait_for_new_image(page, selector: str, old: str) -> None:
    page.wait_for_function(
        "([selector, old]) => { const img = document.querySelector(selector); return img && img.src !== old; }",
        arg=[selector, old],
    )


def test_page_reruns_steps_and_saves(server: str, tmp_path: Path) -> None:
    from alliance_sim import load_scenario

    figure = "img.ensemble-trajectories"
    saved = tmp_path / "what_if" / "weaker_russia.yaml"
    saved.parent.mkdir()
    with _browser(tmp_path) as page:
        page.goto(server, timeout=WAIT_MS)
        page.locator(figure).wait_for(state="visible")
        page.get_by_text("replicates rerun in").wait_for()
        page.screenshot(path=str(tmp_path / "app.png"), full_page=False)

        # Each lever shows its dotted path on hover (the block's title).
        lever = page.locator('[data-path="actors.russia.capacity"]')
        assert lever.get_attribute("title").startswith("actors.russia.capacity: ")
        assert page.get_by_text("No value differs from the scenario yet.").is_visible()

        # Move the hegemon's capacity to its lowest value; the figure must be redrawn.
        before = _image_source(page, figure)
        slider = lever.locator('[role="slider"]')
        slider.focus()
        started = time.perf_counter()
        slider.press("Home")
        _wait_for_new_image(page, figure, before)
        redraw = time.perf_counter() - started
        page.get_by_text("Changed: actors.russia.capacity = 0").wait_for()
        print(f"slider change -> new figure in the browser: {redraw:.2f} s")
        page.screenshot(path=str(tmp_path / "app_changed.png"), full_page=True)

        # Save as a what-if; the page reloads it and says the values survive.
        field = page.get_by_label("What-if file")
        field.fill(str(saved))
        field.press("Tab")
        page.get_by_role("button", name="Save as what-if").click()
        page.get_by_text("it loads and reproduces them").wait_for()

        # One Mesa run: three steps, the month counter and the event log follow.
        page.get_by_role("tab", name="One Mesa run, step by step").click()
        step = page.get_by_role("button", name="Step")
        for month in (1, 2, 3):
            step.click()
            page.get_by_text(f"Month {month} of 60").wait_for()
        page.locator("table.event-log").wait_for()
        assert "kazakhstan" in page.locator("table.event-log").inner_text().lower()
        page.get_by_role("button", name="▶ Play").click()
        page.wait_for_function(f"() => ({MONTH_NOW}) >= 5")  # playing may skip drawing a month
        page.get_by_role("button", name="❚❚ Pause").click()
        page.get_by_role("button", name="▶ Play").wait_for()
        paused_at = page.evaluate(f"() => {MONTH_NOW}")
        page.wait_for_timeout(1000)
        assert page.evaluate(f"() => {MONTH_NOW}") == paused_at
        page.screenshot(path=str(tmp_path / "app_run.png"), full_page=True)

    text = saved.read_text()
    assert "extends: " in text
    config = load_scenario(saved)
    baseline = load_scenario(SCENARIO)
    assert config.actors["russia"].capacity == 0.0
    assert config.alliance.decision_rule == baseline.alliance.decision_rule
    assert config.actors["armenia"] == baseline.actors["armenia"]
    assert [h.monthly_rate for h in config.hazards] == [h.monthly_rate for h in baseline.hazards]
    if os.environ.get("ALLIANCE_SIM_SCREENSHOT"):
        shutil.copyfile(tmp_path / "app.png", ROOT / "docs" / "img" / "app.png")


def test_explain_tab_draws_the_terms_and_knocks_out_on_demand(server: str, tmp_path: Path) -> None:
    figure = "img.explain-terms"
    with _browser(tmp_path) as page:
        page.goto(server, timeout=WAIT_MS)
        page.locator("img.ensemble-trajectories").wait_for(state="visible")
        page.get_by_role("tab", name="Explain: why members leave").click()
        page.locator(figure).wait_for(state="visible")
        caption = page.locator("p.explain-caption").inner_text()
        assert "300 replicates" in caption and "no extra run" in caption
        assert page.locator(figure).evaluate("img => img.naturalWidth") > 500
        replay = page.locator("table.explain-replay").inner_text()
        assert "azerbaijan_attack_2022_09" in replay and "Armenia" in replay
        page.screenshot(path=str(tmp_path / "app_explain.png"), full_page=False)

        # A lever redraws the decomposition (from the rerun the Ensemble tab shares).
        before = _image_source(page, figure)
        slider = page.locator('[data-path="actors.russia.capacity"] [role="slider"]')
        slider.focus()
        started = time.perf_counter()
        slider.press("Home")
        _wait_for_new_image(page, figure, before)
        print(f"slider change -> new decomposition figure in the browser: {time.perf_counter() - started:.2f} s")

        # The knock-out table waits for its button; it shows its progress and its count.
        assert page.locator("table.explain-knockout-table").count() == 0
        knock = page.get_by_role("button", name="Compute the knock-out table")
        assert "200 replicates each" in knock.inner_text().lower()  # buttons are drawn in capitals
        page.locator(".v-input", has_text="Replicates per arm").locator('[role="slider"]').press("Home")
        page.get_by_role("button", name="50 replicates each").wait_for()  # the fewest, to keep the test short
        page.evaluate(SEE_PROGRESS)
        page.get_by_role("button", name="Compute the knock-out table").click()
        page.locator("table.explain-knockout-table").wait_for()
        assert page.evaluate("() => window.sawProgress"), "no progress was shown while the knock-outs ran"
        assert "50 replicates per arm" in page.locator("p.knockout-caption").inner_text()
        rows = page.locator("table.explain-knockout-table tbody tr").count()
        assert rows >= 17  # every mechanism, then the scripted events
        page.locator("img.explain-knockouts").wait_for(state="visible")
        page.locator("p.knockout-caption").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "app_explain_knockouts.png"))

        # Moving a lever marks the table as out of date instead of showing stale numbers.
        slider.focus()
        slider.press("End")
        page.get_by_text("The levers moved since the last knock-out table").wait_for()
    if os.environ.get("ALLIANCE_SIM_SCREENSHOT"):
        shutil.copyfile(tmp_path / "app_explain.png", ROOT / "docs" / "img" / "app_explain.png")


def test_skips_with_a_reason_where_no_chromium_is_installed(monkeypatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", Path("/nonexistent/chromium"))
    with pytest.raises(pytest.skip.Exception, match="no Chromium at /nonexistent/chromium"):
        _skip_without_browser()
