"""Helpers of the browser tests (headless Chromium against the live server)."""


def browser_log_in(page, live_server, username: str, password: str = "pw") -> None:  # noqa: S107 (factories' password)
    """Log in through the login page, as a person would (cookies of an earlier user cleared first)."""
    page.set_default_timeout(10_000)
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
