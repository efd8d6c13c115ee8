"""What is deploying now shows where people look: the home page lists a running canary with its
step, the cluster's page carries a banner with it and Proceed / Roll back, and its deploy form
is disabled; rolling back from the banner frees the cluster.

Usage: python3 deploying.py BASE_URL USER PASSWORD CLUSTER DEPLOYMENT_ID
Exits 0 and prints PASS lines when every page tells it; exits 1 naming the step that did not.
"""
import sys

from browser_support import browser, report_failure, sign_in, wait_for
from selenium.webdriver.common.by import By


def main(base, user, password, cluster, deployment):
    driver = browser()
    try:
        sign_in(driver, base, user, password)

        driver.get(base + "/")
        def home_tells():
            driver.refresh()
            rows = driver.find_elements(By.CSS_SELECTOR, "#running-deployments tbody tr")
            return any(deployment in r.text and "canary" in r.text and "step " in r.text for r in rows)
        wait_for("the home page to list the running canary and its step", home_tells, seconds=30, pause=0.5)
        print("PASS the home page lists the running canary and its step")
        driver.find_element(By.LINK_TEXT, "Deployments").click()
        wait_for("the deployments page", lambda: driver.find_elements(By.ID, "deployment-filters"))
        print("PASS deployments are in the navigation")

        driver.get(base + "/local/cluster/show/" + cluster)
        banner = driver.find_element(By.ID, "deploying-banner")
        assert "deployment " + deployment in banner.text and "canary" in banner.text, banner.text
        assert "20 % of the requests" in banner.text, banner.text
        assert driver.find_element(By.ID, "banner-proceed").is_displayed()
        deploy = driver.find_element(By.ID, "deploy")
        assert not deploy.is_enabled(), "the deploy button is active on a busy cluster"
        print("PASS the cluster page carries the banner and its deploy form is disabled")

        driver.find_element(By.ID, "banner-rollback").click()
        def freed():
            driver.get(base + "/local/cluster/show/" + cluster)
            return not driver.find_elements(By.ID, "deploying-banner") and driver.find_element(By.ID, "deploy").is_enabled()
        wait_for("the cluster to be free after the rollback", freed, seconds=60, pause=0.5)
        print("PASS rolling back from the banner frees the cluster")
        return 0
    except Exception as exc:  # noqa: BLE001 - any failure is the test's failure
        return report_failure(driver, exc)
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
