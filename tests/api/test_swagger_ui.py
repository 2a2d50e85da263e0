"""The Swagger UI in headless Chromium (Debian's, driven by Playwright): authorize with a
token through the Authorize button, "Try it out" creates a user, the answer shows 201 and
Kazoo's envelope. A screenshot is saved in the test's tmp directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from api.server import RunningServer
from tests.api.conftest import LoggedIn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.timeout(180)
def test_given_a_token_when_a_user_is_created_from_the_swagger_ui_then_201_and_envelope(
    server: RunningServer, root: LoggedIn, tmp_path: Path
) -> None:
    body = {"data": {"first_name": "Grace", "last_name": "Hopper", "username": "grace"}}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server.url}/v2/docs", wait_until="networkidle")

            page.locator("button.authorize").first.click()
            dialog = page.locator(".dialog-ux")
            dialog.locator("input").first.fill(root.client.token or "")
            dialog.locator("button.authorize").click()
            dialog.locator("button.btn-done, button.close-modal").first.click()

            operation = page.locator("#operations-users-create_users")
            operation.locator(".opblock-summary").click()
            operation.locator("button.try-out__btn").click()
            operation.locator("tr[data-param-name='account_id'] input").fill(root.id)
            operation.locator("textarea.body-param__text").fill(json.dumps(body))
            operation.locator("button.execute").click()

            status = operation.locator(".live-responses-table tbody .response-col_status").first
            status.wait_for(timeout=30_000)
            shown = operation.locator(".live-responses-table tbody .response-col_description pre")
            shown.first.wait_for(timeout=30_000)
            operation.scroll_into_view_if_needed()
            operation.screenshot(path=str(tmp_path / "swagger-ui-create-user.png"))
            print(f"\nscreenshot: {tmp_path / 'swagger-ui-create-user.png'}")

            assert status.inner_text().strip() == "201"
            envelope = json.loads(shown.first.inner_text())
            assert envelope["status"] == "success"
            assert envelope["auth_token"] == root.client.token
            assert envelope["data"]["username"] == "grace" and envelope["data"]["id"]
            assert envelope["revision"] and envelope["request_id"]
        finally:
            browser.close()

    users = root.client.get(f"/accounts/{root.id}/users").json()["data"]
    assert [u["username"] for u in users] == ["grace"]
