"""Two consoles on one database, one browser: a session begun on one console works on the other
(cookies do not depend on the port), a form sent to the second with the first's session carries
its CSRF token, what it made shows on the first, and signing out on one signs out of both.

Usage: python3 shared_session.py BASE_A BASE_B USER PASSWORD
"""
import sys

from browser_support import browser, report_failure, sign_in, wait_for
from selenium.webdriver.common.by import By


def main(a, b, user, password):
    driver = browser()
    try:
        sign_in(driver, a, user, password)
        driver.get(b + "/application/list")
        wait_for("the second console to know the session", lambda: driver.find_element(By.ID, "signed-in-as").text == user)
        print("PASS a session begun on one console works on the other")

        driver.get(b + "/application/create")
        driver.find_element(By.ID, "name").send_keys("sharedapp")
        driver.find_element(By.ID, "owner").send_keys("Shared team")
        driver.find_element(By.ID, "email").send_keys("shared@example.com")
        driver.find_element(By.ID, "submit").click()
        wait_for("the new application's page on the second console", lambda: "/application/show/sharedapp" in driver.current_url)
        driver.get(a + "/application/list")
        wait_for("the first console to list it", lambda: "sharedapp" in driver.find_element(By.ID, "applications").text)
        print("PASS a form sent to the second console made what the first shows")

        driver.get(b + "/application/list")
        driver.find_element(By.ID, "sign-out").click()
        wait_for("the sign-out", lambda: not driver.find_elements(By.ID, "signed-in-as"))
        driver.get(a + "/application/list")
        wait_for("the first console to ask for a sign-in", lambda: driver.find_elements(By.ID, "login-form"))
        print("PASS signing out on one console signs out of both")
        return 0
    except Exception as exc:  # noqa: BLE001 - report any failure with the page
        return report_failure(driver, exc)
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
