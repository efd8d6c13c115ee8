"""An instance its load balancer marks unhealthy (the cloud still counts it in service) is shown
unhealthy, with the load balancer's reason, on the cluster, server group and instance pages.

Usage: python3 health.py BASE_URL USER PASSWORD CLUSTER GROUP INSTANCE_ID
Exits 0 and prints PASS lines when every page tells it; exits 1 naming the step that did not.
"""
import sys

from browser_support import browser, report_failure, sign_in, wait_for
from selenium.webdriver.common.by import By


def row_of(driver, instance_id):
    for row in driver.find_elements(By.CSS_SELECTOR, "#instances tbody tr"):
        if instance_id in row.text:
            return row
    return None


def main(base, user, password, cluster, group, instance_id):
    driver = browser()
    try:
        sign_in(driver, base, user, password)

        driver.get(base + "/local/cluster/show/" + cluster)
        def cluster_tells():
            driver.refresh()
            row = row_of(driver, instance_id)
            return row is not None and row.find_elements(By.CSS_SELECTOR, ".badge.health-unhealthy") and "503" in row.text
        wait_for("the cluster page to show the instance unhealthy", cluster_tells, seconds=30, pause=0.5)
        row = row_of(driver, instance_id)
        assert "InService" in row.text, row.text  # the cloud's word stays beside the load balancer's
        assert "shop-prod: unhealthy" in row.text, row.text
        groups = driver.find_element(By.ID, "groups").text
        assert "unhealthy" in groups, groups
        print("PASS the cluster page shows the instance and its group unhealthy")

        # The deploy form shows the fields of the chosen strategy only.
        from selenium.webdriver.support.ui import Select
        assert not driver.find_element(By.ID, "deploy-canary-weights").is_displayed()
        assert not driver.find_element(By.ID, "deploy-steps").is_displayed()
        Select(driver.find_element(By.ID, "deploy-strategy")).select_by_value("canary")
        assert driver.find_element(By.ID, "deploy-canary-weights").is_displayed()
        assert not driver.find_element(By.ID, "deploy-steps").is_displayed()
        Select(driver.find_element(By.ID, "deploy-strategy")).select_by_value("custom")
        assert driver.find_element(By.ID, "deploy-steps").is_displayed()
        assert not driver.find_element(By.ID, "deploy-canary-weights").is_displayed()
        print("PASS the deploy form shows the chosen strategy's fields only")

        driver.get(base + "/local/autoScaling/show/" + group)
        health = driver.find_element(By.ID, "group-health")
        assert health.text == "unhealthy", health.text
        row = row_of(driver, instance_id)
        assert row.find_elements(By.CSS_SELECTOR, ".badge.health-unhealthy"), row.text
        print("PASS the server group page shows it unhealthy")

        driver.get(base + "/local/instance/show/" + instance_id)
        badge = driver.find_element(By.ID, "instance-health")
        assert badge.text == "unhealthy", badge.text
        page = driver.find_element(By.ID, "instance").text
        assert "shop-prod: unhealthy" in page and "503" in page, page
        print("PASS the instance page shows it unhealthy with the load balancer's reason")
        return 0
    except Exception as exc:  # noqa: BLE001 - any failure is the test's failure
        return report_failure(driver, exc)
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:7]))
