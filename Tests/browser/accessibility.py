"""Runs axe-core (bundled by axe-selenium-python) over every kind of page in headless Chromium and
fails on any serious or critical violation.

Usage: python3 accessibility.py BASE_URL USER PASSWORD PATH [PATH …]
Prints each page's violations, then "PASS …" (exit 0) or "FAIL …" (exit 1).
"""
import sys

from axe_selenium_python import Axe
from browser_support import browser, report_failure, sign_in


def main(base, user, password, paths):
    driver = browser()
    try:
        driver.get(base + "/auth/login")
        found = sweep(driver, base, ["/auth/login"])
        sign_in(driver, base, user, password)
        found += sweep(driver, base, paths)
        for line in found:
            print(line)
        if found:
            print(f"FAIL {len(found)} serious or critical violations")
            return 1
        print(f"PASS {len(paths) + 1} pages, no serious or critical violation")
        return 0
    except Exception as exc:  # noqa: BLE001 - any failure is the test's failure
        return report_failure(driver, exc)
    finally:
        driver.quit()


def sweep(driver, base, paths):
    found = []
    for path in paths:
        driver.get(base + path)
        axe = Axe(driver)
        axe.inject()
        results = axe.run()
        for violation in results["violations"]:
            if violation.get("impact") in ("serious", "critical"):
                targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
                found.append(f"{path}: {violation['impact']} {violation['id']}: {violation['help']} ({len(violation['nodes'])} nodes, e.g. {targets})")
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4:]))
