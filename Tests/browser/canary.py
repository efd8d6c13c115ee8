"""Watches a canary's analysis on its task page in headless Chromium: the charts (server-side
SVG) and the judgments appear and grow without a reload; at the pause, Proceed finishes it.

Usage: python3 canary.py BASE_URL USER PASSWORD TASK_ID
Exits 0 and prints PASS lines when every step behaves; exits 1 naming the step that did not.
"""
import sys

from browser_support import browser, report_failure, sign_in, wait_for
from selenium.webdriver.common.by import By


def judgments(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#canary-intervals tbody tr")


def wait_long(what, condition):
    wait_for(what, condition, seconds=60)


def main(base, user, password, task_id):
    driver = browser()
    try:
        sign_in(driver, base, user, password)
        driver.get(base + "/task/show/" + task_id)
        wait_long("a first judgment", lambda: len(judgments(driver)) >= 1)
        first = len(judgments(driver))
        wait_long("more judgments without a reload", lambda: len(judgments(driver)) > first)
        charts = driver.find_elements(By.CSS_SELECTOR, "#canary-analysis figure.chart svg polyline")
        assert len(charts) == 12, "6 charts with a canary and a baseline line each, found %d" % len(charts)
        captions = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "#canary-analysis figcaption")]
        assert any(c.startswith("Error rate (%)") for c in captions) and any(c.startswith("Latency p99 (ms)") for c in captions), captions
        assert all("UTC" in c for c in captions), captions  # each chart says the window it shows
        marks = driver.find_elements(By.CSS_SELECTOR, "#chart-error-rate svg text.mark")
        assert len(marks) >= 2, "each judgment is marked under the time axis, found %d" % len(marks)
        assert any(m.text in ("✓", "✗", "?") for m in marks), [m.text for m in marks]
        print("PASS the canary's charts and judgments appear and grow live")

        wait_long("the pause", lambda: driver.find_element(By.ID, "proceed").is_displayed())
        # The live page redraws its tables: read (and click) again when an element went stale.
        verdicts = []

        def read_verdicts():
            verdicts[:] = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "#canary-metrics tbody tr td:nth-child(3)")]
            return bool(verdicts)
        wait_long("the metrics' verdicts", read_verdicts)
        assert all(v.startswith("pass") for v in verdicts), verdicts
        wait_long("a click on proceed", lambda: driver.find_element(By.ID, "proceed").click() or True)
        wait_long("the deployment to succeed", lambda: driver.find_element(By.ID, "task-status").text == "succeeded")
        print("PASS proceed at the canary's pause and watch it reach all the traffic")
        return 0
    except Exception as exc:
        return report_failure(driver, exc)
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]))
