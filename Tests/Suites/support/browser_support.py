"""Selenium helpers of Tests/Suites/console_browser.py: the check runner, headless Chromium, bounded waits."""

import os
import time
import traceback

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 20  # seconds, the bound of every wait in the browser


class Suite:
    """Runs named checks, counts them, and keeps every URL the browser showed."""

    def __init__(self, args):
        self.args = args
        self.passed = 0
        self.failed = 0
        self.urls = []

    def check(self, name, function):
        started = time.time()
        try:
            function()
            self.passed += 1
            print(f"ok    {name} ({time.time() - started:.1f} s)", flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported, the suite goes on
            self.failed += 1
            print(f"FAIL  {name}: {type(error).__name__}: {error}", flush=True)
            if self.args.verbose:
                traceback.print_exc()


def make_driver():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1360,1000",
                     "--disable-gpu", "--no-first-run", "--disable-extensions", "--lang=en-US"]:
        options.add_argument(argument)
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    return driver


def wait_until(driver, predicate, message, seconds=WAIT):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.1).until(lambda d: predicate(d))
    except TimeoutException:
        raise AssertionError(f"timed out after {seconds} s: {message}") from None


def visible(driver, element_id):
    elements = driver.find_elements(By.ID, element_id)
    return bool(elements) and elements[0].is_displayed()


def pwned(driver):
    return driver.execute_script("return typeof window.__pwned === 'undefined' ? null : String(window.__pwned);")
