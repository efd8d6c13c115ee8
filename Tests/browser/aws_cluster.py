"""In an AWS region (moto): switch to it, deploy red/black from the cluster page, roll back, then
create an application load balancer and a security group with an ingress rule from the forms,
and tag the AMI.

    aws_cluster.py BASE USER PASSWORD IMAGE_ID
"""
import sys
import time

from browser_support import browser, report_failure, sign_in, wait_for
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def status(driver):
    return driver.find_element(By.ID, "deployment-status").text


def main(base, user, password, image_id):
    driver = browser()
    try:
        sign_in(driver, base, user, password)
        driver.get(base + "/local/cluster/list")
        Select(driver.find_element(By.ID, "region-select")).select_by_value("test/us-east-1")
        driver.find_element(By.ID, "region-switcher").submit()
        wait_for("the AWS region's cluster list", lambda: "/us-east-1/cluster/list" in driver.current_url and "shop-prod" in driver.page_source)
        driver.find_element(By.LINK_TEXT, "shop-prod").click()
        wait_for("the cluster page", lambda: driver.find_elements(By.ID, "deploy-form"))
        print("PASS switch to the AWS region and open its cluster")

        # The deploy form offers the application's images by version.
        Select(driver.find_element(By.ID, "deploy-image")).select_by_value(image_id)
        Select(driver.find_element(By.ID, "deploy-strategy")).select_by_value("redBlack")
        driver.find_element(By.ID, "deploy").click()
        wait_for("the deployment page", lambda: "/deployment/show/" in driver.current_url)
        deadline = time.time() + 60
        while status(driver) != "succeeded":
            assert time.time() < deadline and status(driver) in ("running", "waiting"), driver.find_element(By.ID, "deployment-log").text
            time.sleep(0.3)
            driver.refresh()
        assert "shop-prod-v001" in driver.find_element(By.ID, "deployment").text
        print("PASS deploy red/black to AWS from the cluster page")

        driver.get(base + "/us-east-1/cluster/show/shop-prod")
        rollback = driver.find_element(By.ID, "rollback")
        assert rollback.text.startswith("Roll back to shop-prod-v000"), rollback.text
        rollback.click()
        # The rollback answers when it is done, back on the cluster page.
        wait_for("the previous group to serve again",
                 lambda: "shop-prod-v000 (enabled" in driver.page_source and "shop-prod-v001 (disabled" in driver.page_source, seconds=60)
        print("PASS roll back on AWS from the cluster page")

        driver.get(base + "/us-east-1/loadBalancer/create")
        driver.find_element(By.ID, "name").send_keys("shop-canary")
        Select(driver.find_element(By.ID, "type")).select_by_value("application")
        driver.find_element(By.ID, "listenerPort").send_keys("80")
        assert not driver.find_elements(By.ID, "algorithm"), "AWS load balancers have no algorithm to choose"
        driver.find_element(By.ID, "submit").click()
        wait_for("the new load balancer's page", lambda: driver.find_elements(By.ID, "load-balancer-type"))
        assert driver.find_element(By.ID, "load-balancer-type").text == "application", driver.find_element(By.ID, "load-balancer").text
        assert "elb.amazonaws.com" in driver.find_element(By.ID, "load-balancer").text
        print("PASS create an application load balancer from the form")

        driver.get(base + "/us-east-1/security/list")
        driver.find_element(By.ID, "create-security-group").click()
        driver.find_element(By.ID, "name").send_keys("shop-web")
        driver.find_element(By.ID, "description").send_keys("Shop's web servers")
        driver.find_element(By.ID, "submit").click()
        wait_for("the new security group's page", lambda: driver.find_elements(By.ID, "authorize-form"))
        driver.find_element(By.ID, "authorize").send_keys("tcp:7001:10.0.0.0/8")
        driver.find_element(By.ID, "authorize-submit").click()
        wait_for("the rule in the table", lambda: "tcp:7001:10.0.0.0/8" in driver.find_element(By.ID, "ingress-rules").text)
        driver.find_element(By.ID, "authorize").send_keys("tcp:99999:10.0.0.0/8")
        driver.find_element(By.ID, "authorize-submit").click()
        wait_for("the refusal", lambda: "is not a port or port range" in driver.page_source)
        print("PASS create a security group and open it from the forms")

        driver.get(base + "/us-east-1/image/list")
        assert not driver.find_elements(By.ID, "register-image"), "AMIs are registered outside the console"
        driver.get(base + "/us-east-1/image/show/" + image_id)
        driver.find_element(By.ID, "tags").send_keys("team=shop")
        driver.find_element(By.ID, "tag-image").click()
        wait_for("the tag in the table", lambda: "team" in driver.find_element(By.ID, "image-tags").text)
        print("PASS tag an AMI from its page")
        return 0
    except Exception as exc:
        return report_failure(driver, exc)
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]))
