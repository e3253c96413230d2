import pytest
from playwright.sync_api import Page, expect


@pytest.mark.browser
def test_admin_login_page_shows_a_password_field(page: Page) -> None:
    page.goto("/admin/login/")

    expect(page.locator("input[type=password]")).to_be_visible()
