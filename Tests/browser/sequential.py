"""Deploys a canary with the sequential judge from the cluster page's form in headless Chromium
and watches its evidence on the task page: the e-value charts (server-side SVG) grow without a
reload, the step passes (early once the canary is shown within its tolerance), and the decision
is marked under the time axis.

Usage: python3 sequential.py BASE_URL USER PASSWORD
Exits 0 and prints PASS lines when every step behaves; exits 1 naming the step that did not.
"""
import sys

from browser_support import browser, report_failure, sign_in, wait_for
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def points(driver):
    return len(driver.find_elements(By.CSS_SELECTOR, "#evidence-errors svg circle"))


def main(base, user, password):
    driver = browser()
    try:
        sign_in(driver, base, user, password)
        driver.get(base + "/local/cluster/show/shop-prod")
        wait_for("the deploy form", lambda: driver.find_elements(By.ID, "deploy-form"))
        Select(driver.find_element(By.ID, "deploy-strategy")).select_by_value("canary")
        judge = driver.find_element(By.ID, "deploy-judge")
        assert judge.is_displayed(), "the judge is offered for a canary"
        assert not driver.find_element(By.ID, "deploy-watch").is_displayed(), "the rolling push's watch is not"
        for field, value in (("deploy-canary-weights", "50,100"), ("deploy-analysis", "60"), ("deploy-minimum", "10")):
            driver.find_element(By.ID, field).clear()
            driver.find_element(By.ID, field).send_keys(value)
        Select(judge).select_by_value("sequential")
        driver.find_element(By.ID, "deploy").click()
        wait_for("the deployment's page", lambda: "/deployment/show/" in driver.current_url)
        task_id = driver.current_url.rstrip("/").rsplit("/", 1)[-1]
        print("PASS start a canary with the sequential judge from the deploy form")

        driver.get(base + "/task/show/" + task_id)
        wait_for("the evidence charts", lambda: points(driver) >= 2, seconds=60)
        first = points(driver)
        wait_for("more evidence without a reload", lambda: points(driver) > first, seconds=60)
        captions = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "#canary-analysis figcaption")]
        assert any(c.startswith("Errors: evidence") for c in captions), captions
        assert any(c.startswith("Latency (median): canary/baseline rate") for c in captions), captions
        thresholds = [t.text for t in driver.find_elements(By.CSS_SELECTOR, "#evidence-errors svg text")]
        assert any(t.startswith("fails at 1/α = 200") for t in thresholds), thresholds
        print("PASS the evidence grows live against its threshold")

        wait_for("the deployment to succeed", lambda: driver.find_element(By.ID, "task-status").text == "succeeded", seconds=180)
        driver.refresh()
        wait_for("the reason", lambda: driver.find_elements(By.ID, "sequential-reason"))
        # Early (once shown within tolerance) or at the step's end, whichever the machine's
        # load allows: either way the page says why and marks the decision.
        reason = driver.find_element(By.ID, "sequential-reason").text
        assert "shown below" in reason or "no test crossed its threshold" in reason, reason
        heading = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "#canary-analysis h3")]
        assert any(h.startswith("Evidence at the decision (promoted") or h.startswith("Evidence at the decision (pass") for h in heading), heading
        marks = [m.text for m in driver.find_elements(By.CSS_SELECTOR, "#evidence-errors svg text.mark")]
        assert "✓" in marks, marks
        print("PASS the step passed and the decision is marked")
        return 0
    except Exception as exc:
        return report_failure(driver, exc)
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]))
