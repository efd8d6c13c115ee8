"""Answers a deployment's judgment from its task page in headless Chromium, watches the steps
turn to done without a reload, then resizes the new group from the cluster page's actions.

Usage: python3 judgment.py BASE_URL USER PASSWORD TASK_ID
Exits 0 and prints PASS lines when every step behaves; exits 1 naming the step that did not.
"""
import sys

from browser_support import browser, report_failure, sign_in, wait_for
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def main(base, user, password, task_id):
    driver = browser()
    try:
        sign_in(driver, base, user, password)

        driver.get(base + "/task/show/" + task_id)
        wait_for("the judgment", lambda: driver.find_element(By.ID, "proceed").is_displayed())
        states = [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "#deployment-steps [id^=step-state-]")]
        assert states[:3] == ["done", "done", "waiting"], states
        print("PASS the task page shows the steps and the judgment's buttons")

        driver.find_element(By.ID, "proceed").click()
        wait_for("the deployment to succeed", lambda: driver.find_element(By.ID, "task-status").text == "succeeded")
        wait_for("every step done", lambda: all(
            cell.text == "done" for cell in driver.find_elements(By.CSS_SELECTOR, "#deployment-steps [id^=step-state-]")))
        log = driver.find_element(By.ID, "task-log").text
        assert "decided to proceed" in log, log
        assert not driver.find_element(By.ID, "judgment").is_displayed(), "the judgment buttons should be gone"
        print("PASS proceed from the task page and watch the steps finish live")

        driver.get(base + "/local/cluster/show/shop-prod")
        driver.find_element(By.CSS_SELECTOR, "#resize-details summary").click()
        Select(driver.find_element(By.ID, "resize-group")).select_by_value("shop-prod-v001")
        desired = driver.find_element(By.ID, "resize-desired")
        desired.clear()
        desired.send_keys("3")
        driver.find_element(By.ID, "cluster-resize").click()
        wait_for("the group page", lambda: "shop-prod-v001" in driver.find_element(By.ID, "group-name").text)
        sizes = driver.find_element(By.ID, "group").text
        assert "1 / 3 / 4" in sizes or "/ 3 /" in sizes, sizes
        print("PASS resize a group from the cluster page")
        return 0
    except Exception as exc:
        return report_failure(driver, exc)
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]))
