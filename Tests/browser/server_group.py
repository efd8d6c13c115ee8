"""Creates a load balancer and a server group behind it through the web forms in headless
Chromium, watches it serve through the load balancer, and terminates an instance.

Usage: python3 server_group.py BASE_URL USER PASSWORD IMAGE_ID LISTENER_PORT
Exits 0 and prints PASS lines when every step behaves; exits 1 naming the step that did not.
"""
import json
import sys
import time
import urllib.request

from browser_support import browser, report_failure, sign_in
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait


def in_service_rows(driver):
    rows = driver.find_elements(By.CSS_SELECTOR, "#instances tbody tr")
    return [r for r in rows if "InService" in r.text]


def healthy_rows(driver):
    rows = driver.find_elements(By.CSS_SELECTOR, "#traffic-instances tbody tr")
    return [r for r in rows if "healthy" in r.text.split()]


def main(base, user, password, image_id, port):
    driver = browser()
    wait = WebDriverWait(driver, 20)
    try:
        sign_in(driver, base, user, password)

        driver.find_element(By.LINK_TEXT, "Load Balancer").click()
        wait.until(EC.presence_of_element_located((By.ID, "create-load-balancer"))).click()
        wait.until(EC.presence_of_element_located((By.ID, "load-balancer-form")))
        driver.find_element(By.ID, "name").send_keys("shop-web")
        driver.find_element(By.ID, "listenerPort").send_keys("not-a-port")
        driver.find_element(By.ID, "submit").click()
        error = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".field-error")))
        assert "whole number" in error.text, error.text
        print("PASS a wrong port comes back next to its field")
        port_field = driver.find_element(By.ID, "listenerPort")
        port_field.clear()
        port_field.send_keys(port)
        for field, value in (("interval", "2"), ("timeout", "1")):
            element = driver.find_element(By.ID, field)
            element.clear()
            element.send_keys(value)
        driver.find_element(By.ID, "submit").click()
        wait.until(EC.url_contains("/local/loadBalancer/show/shop-web"))
        print("PASS create a load balancer through the form")

        driver.find_element(By.LINK_TEXT, "Cluster").click()
        wait.until(EC.presence_of_element_located((By.ID, "create-group"))).click()
        wait.until(EC.presence_of_element_located((By.ID, "group-form")))
        driver.find_element(By.ID, "appName").send_keys("shop")
        driver.find_element(By.ID, "stack").send_keys("web")
        Select(driver.find_element(By.ID, "imageId")).select_by_value(image_id)
        for field, value in (("minSize", "1"), ("desiredCapacity", "2"), ("maxSize", "3"), ("selectedLoadBalancers", "shop-web")):
            element = driver.find_element(By.ID, field)
            element.clear()
            element.send_keys(value)
        driver.find_element(By.ID, "submit").click()
        wait.until(EC.url_contains("/local/autoScaling/show/shop-web-v000"))
        assert driver.find_element(By.ID, "traffic-state").text == "enabled", driver.find_element(By.ID, "group").text
        print("PASS create a server group behind it through the form")

        # The page shows what is; reload until both instances are in service (with a deadline).
        deadline = time.time() + 30
        while len(in_service_rows(driver)) < 2:
            assert time.time() < deadline, "instances did not come into service: " + driver.find_element(By.ID, "instances").text
            time.sleep(0.3)
            driver.refresh()
        print("PASS two instances in service")

        driver.find_element(By.CSS_SELECTOR, "a[href='/local/loadBalancer/show/shop-web']").click()
        wait.until(EC.url_contains("/local/loadBalancer/show/shop-web"))
        deadline = time.time() + 30
        while len(healthy_rows(driver)) < 2:
            assert time.time() < deadline, "instances did not turn healthy: " + driver.find_element(By.ID, "traffic-instances").text
            time.sleep(0.3)
            driver.refresh()
        with urllib.request.urlopen("http://127.0.0.1:%s/" % port, timeout=10) as reply:
            assert reply.status == 200 and "instanceId" in json.loads(reply.read()), "the load balancer does not serve"
        driver.refresh()
        assert "shop-web-v000" in driver.find_element(By.ID, "traffic-groups").text, driver.find_element(By.ID, "traffic-groups").text
        print("PASS both instances healthy on the load balancer page, and it serves")

        driver.get(base + "/local/autoScaling/show/shop-web-v000")

        in_service_rows(driver)[0].find_element(By.TAG_NAME, "a").click()
        instance_id = wait.until(EC.presence_of_element_located((By.ID, "instance-id"))).text
        # Terminating takes a second step: the form opens, and the instance's id is typed in.
        assert not driver.find_element(By.ID, "terminate-shrink").is_displayed(), "terminate and shrink acts in one click"
        driver.find_element(By.ID, "terminate-shrink-open").click()
        driver.find_element(By.ID, "terminate-shrink-confirm").send_keys("i-wrong")
        driver.find_element(By.ID, "terminate-shrink").click()
        error = wait.until(EC.presence_of_element_located((By.ID, "error-message")))
        assert "to confirm the termination" in error.text, error.text
        driver.get(base + "/local/instance/show/" + instance_id)
        wait.until(EC.presence_of_element_located((By.ID, "terminate-shrink-open"))).click()
        field = driver.find_element(By.ID, "terminate-shrink-confirm")
        field.clear()
        field.send_keys(instance_id)
        driver.find_element(By.ID, "terminate-shrink").click()
        wait.until(EC.url_contains("/local/autoScaling/show/shop-web-v000"))
        deadline = time.time() + 30
        while len(driver.find_elements(By.CSS_SELECTOR, "#instances tbody tr")) != 1:
            assert time.time() < deadline, "the group did not shrink"
            time.sleep(0.3)
            driver.refresh()
        assert "1 / 1 / 3" in driver.find_element(By.ID, "group").text, driver.find_element(By.ID, "group").text
        print("PASS terminate and shrink from the instance page")

        driver.get(base + "/local/cluster/show/shop-web")
        wait.until(EC.presence_of_element_located((By.ID, "deploy-form")))
        Select(driver.find_element(By.ID, "deploy-strategy")).select_by_value("redBlack")
        driver.find_element(By.ID, "deploy").click()
        wait.until(EC.url_contains("/deployment/show/"))
        deadline = time.time() + 60
        while driver.find_element(By.ID, "deployment-status").text != "succeeded":
            assert time.time() < deadline, "the deployment did not succeed: " + driver.find_element(By.ID, "deployment-log").text
            assert driver.find_element(By.ID, "deployment-status").text in ("running", "waiting"), driver.find_element(By.ID, "deployment-log").text
            time.sleep(0.3)
            driver.refresh()
        assert "shop-web-v001" in driver.find_element(By.ID, "deployment").text, driver.find_element(By.ID, "deployment").text
        print("PASS deploy from the cluster page and watch it succeed")
        return 0
    except Exception as exc:
        return report_failure(driver, exc)
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]))
