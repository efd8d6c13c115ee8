"""Opens a running task's page in headless Chromium and watches its log grow and its status turn
to succeeded without reloading the page (Server-Sent Events and the console's own small script).

Usage: python3 task_live.py BASE_URL USER PASSWORD TASK_ID
Exits 0 and prints PASS lines when every step behaves; exits 1 naming the step that did not.
"""
import sys
import time

from browser_support import browser, report_failure, sign_in
from selenium.webdriver.common.by import By


def main(base, user, password, task_id):
    driver = browser()
    try:
        sign_in(driver, base, user, password)

        driver.get(base + "/task/show/" + task_id)
        status = driver.find_element(By.ID, "task-status")
        assert status.text == "running", "the task should still run when the page opens: " + status.text
        first = len(driver.find_element(By.ID, "task-log").text.splitlines())
        deadline = time.time() + 30
        while driver.find_element(By.ID, "task-status").text != "succeeded":
            assert time.time() < deadline, "the page did not follow the task: " + driver.find_element(By.ID, "task-log").text
            time.sleep(0.2)
        log = driver.find_element(By.ID, "task-log").text
        assert len(log.splitlines()) > first, log
        assert "Deployment finished" in log, log
        print("PASS the task page follows the log live and shows the end, without a reload")
        return 0
    except Exception as exc:
        return report_failure(driver, exc)
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]))
