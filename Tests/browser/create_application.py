"""Creates an application through the web form in headless Chromium and finds it in the list.

Usage: python3 create_application.py BASE_URL USER PASSWORD
Exits 0 and prints PASS lines when every step behaves; exits 1 naming the step that did not.
"""
import sys
import time

from browser_support import browser, report_failure
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait


def main(base, user, password):
    driver = browser()
    wait = WebDriverWait(driver, 20)
    try:
        # Nothing is open without signing in: the list sends us to the login page and back.
        driver.get(base + "/application/list")
        wait.until(EC.presence_of_element_located((By.ID, "login-form")))
        driver.find_element(By.ID, "login-name").send_keys(user)
        driver.find_element(By.ID, "login-password").send_keys("wrong password!")
        driver.find_element(By.ID, "login-submit").click()
        assert "Wrong user name or password" in wait.until(EC.presence_of_element_located((By.ID, "login-error"))).text
        driver.find_element(By.ID, "login-password").send_keys(password)
        driver.find_element(By.ID, "login-submit").click()
        wait.until(EC.url_contains("/application/list"))
        assert driver.find_element(By.ID, "signed-in-as").text == user
        print("PASS sign in through the login page")

        wait.until(EC.presence_of_element_located((By.ID, "create-application"))).click()
        wait.until(EC.presence_of_element_located((By.ID, "application-form")))

        # A wrong submission comes back with the message next to the field and the values kept.
        driver.find_element(By.ID, "name").send_keys("Browser-App")
        driver.find_element(By.ID, "owner").send_keys("Browser team")
        driver.find_element(By.ID, "email").send_keys("browser@example.com")
        driver.find_element(By.ID, "submit").click()
        error = wait.until(EC.presence_of_element_located((By.ID, "name-error")))
        assert "at most 28 characters" in error.text, error.text
        assert driver.find_element(By.ID, "owner").get_attribute("value") == "Browser team"
        print("PASS invalid name is shown next to the field")

        name = driver.find_element(By.ID, "name")
        name.clear()
        name.send_keys("BrowserApp")
        Select(driver.find_element(By.ID, "type")).select_by_visible_text("Web Application")
        driver.find_element(By.ID, "description").send_keys("Made by Selenium")
        driver.find_element(By.ID, "submit").click()
        wait.until(EC.url_contains("/application/show/browserapp"))
        assert driver.find_element(By.ID, "app-name").text == "browserapp"
        print("PASS redirected to the new application's page")

        driver.find_element(By.LINK_TEXT, "App").click()
        wait.until(EC.presence_of_element_located((By.ID, "applications")))
        rows = driver.find_elements(By.CSS_SELECTOR, "#applications tbody tr")
        cells = [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]
        assert ["browserapp", "Web Application", "Made by Selenium", "Browser team", "browser@example.com"] in cells, cells
        print("PASS create application through the form and find it in the list")

        driver.find_element(By.LINK_TEXT, "Task").click()
        wait.until(EC.presence_of_element_located((By.ID, "tasks")))
        assert "Create application 'browserapp'" in driver.find_element(By.ID, "tasks").text
        print("PASS the change left a task")

        driver.find_element(By.ID, "sign-out").click()
        wait.until(EC.presence_of_element_located((By.ID, "login-form")))
        driver.get(base + "/application/list")
        wait.until(EC.presence_of_element_located((By.ID, "login-form")))
        print("PASS sign out ends the session")
        return 0
    except Exception as exc:
        return report_failure(driver, exc)
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]))
