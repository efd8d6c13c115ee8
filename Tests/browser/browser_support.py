"""What every browser test shares: headless Chromium from Debian, driven through its chromedriver."""
import os
import time

os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager reach for the internet

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)


def sign_in(driver, base, user, password):
    """Signs in through the login form and waits until the page says who is signed in."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base + "/auth/login")
    driver.find_element(By.ID, "login-name").send_keys(user)
    driver.find_element(By.ID, "login-password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 20).until(EC.presence_of_element_located((By.ID, "signed-in-as")))


def wait_for(what, condition, seconds=30, pause=0.1):
    """Waits until condition() holds; while a page loads, its elements may be missing or stale."""
    deadline = time.time() + seconds
    last = None
    while True:
        try:
            if condition():
                return
        except WebDriverException as exc:
            last = exc
        assert time.time() < deadline, "timed out waiting for " + what + (" (" + str(last).splitlines()[0] + ")" if last else "")
        time.sleep(pause)


def report_failure(driver, exc):
    """Prints the failed step and the page it failed on; answers the exit code 1."""
    print("FAIL", type(exc).__name__, exc, "at", driver.current_url)
    print(driver.page_source[:3000])
    return 1
