"""Attaches a target tracking policy to a group from its page in headless Chromium, then watches
the page (which refreshes itself) show the group grow under the load the test drives, with the
cause of each change listed.

Usage: python3 scaling.py BASE_URL USER PASSWORD GROUP READY_FILE
Writes READY_FILE once the policy is saved (the test then starts its load).
Exits 0 and prints PASS lines when every step behaves; exits 1 naming the step that did not.
"""
import sys

from browser_support import browser, report_failure, sign_in, wait_for
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def wait_long(what, condition):
    wait_for(what, condition, seconds=90, pause=0.2)


def main(base, user, password, group, ready_file):
    driver = browser()
    try:
        sign_in(driver, base, user, password)
        driver.get(base + "/local/autoScaling/show/" + group)
        driver.find_element(By.CSS_SELECTOR, "#add-policy summary").click()
        Select(driver.find_element(By.ID, "predefinedMetricType")).select_by_value("ALBRequestCountPerTarget")
        for field, value in (("targetValue", "600"), ("estimatedInstanceWarmup", "3")):
            box = driver.find_element(By.ID, field)
            box.clear()
            box.send_keys(value)
        driver.find_element(By.ID, "save-policy").click()
        wait_long("the policy's page", lambda: "keep ALBRequestCountPerTarget at 600" in driver.find_element(By.TAG_NAME, "main").text)
        print("PASS attach a target tracking policy from the group page")
        open(ready_file, "w").close()

        driver.get(base + "/local/autoScaling/show/" + group)
        assert driver.find_elements(By.ID, "auto-refresh"), "the page should refresh itself"
        wait_long("the group to grow on the page", lambda: "Changing the desired capacity from 1 to" in driver.find_element(By.ID, "activities").text)
        text = driver.find_element(By.ID, "activities").text
        assert "a target tracking policy keep-requests saw RequestCountPerTarget" in text, text
        assert "Launching a new instance" in text, text
        print("PASS watch the group grow with the reasons listed")
        return 0
    except Exception as exc:
        return report_failure(driver, exc)
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]))
