"""First run: the setup screen driven by keys against the real Dovecot, then the account opens.

Also: a config file with a mistake starts into setup without being touched, the providers
table, the connection test's words for a TLS failure, and switching accounts from the palette.
"""

from __future__ import annotations

import stat

import keyring
import pytest
from keyring.backends import fail
from textual.widgets import RadioButton, Static

from sage_tui.app import SageApp
from sage_tui.passwords import SERVICE
from sage_tui.providers import account_name_for, provider_for
from sage_tui.screens.main import MainScreen
from sage_tui.screens.setup import SetupScreen
from sage_tui.settings import Startup, load_settings
from tests.support.app import settle
from tests.support.seed import make_message, seed_folder

SIZE = (110, 48)


def setup_screen(app: SageApp) -> SetupScreen:
    screen = app.screen
    assert isinstance(screen, SetupScreen), f"expected the setup screen, got {screen!r}"
    return screen


def text_of(screen: SetupScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def fill_form(pilot, *, address: str, host: str, port: int, password: str,
                    plain: bool, typed: bool = True) -> None:
    """Type into the form as a user would: address first, then tab from field to field.

    ``typed=False`` sets the same values directly (faster) for tests about something else.
    """
    if not typed:
        screen = setup_screen(pilot.app)
        screen.input_named("address").value = address
        await pilot.pause()  # the address pre-fills the username and the name
        screen.input_named("host").value = host
        screen.input_named("port").value = str(port)
        if plain:
            screen.query_one("#tls-none", RadioButton).value = True
        screen.input_named("password").value = password
        await pilot.pause()
        return
    await pilot.press(*address)
    await pilot.press("tab", *host)
    await pilot.press("tab", *str(port))  # focus selects the pre-filled port: typing replaces it
    await pilot.press("tab")  # the security choice
    if plain:
        await pilot.press("down", "down", "enter")
    await pilot.press("tab", "tab", *password)  # username stays as pre-filled from the address


def test_known_providers_fill_the_server_from_the_address() -> None:
    gmail = provider_for("Me@GMail.com ")
    assert gmail is not None and (gmail.host, gmail.port, gmail.tls) == ("imap.gmail.com", 993,
                                                                         "implicit")
    assert "app password" in gmail.note
    assert provider_for("me@hotmail.com").host == "outlook.office365.com"  # type: ignore[union-attr]
    assert provider_for("me@posteo.de").host == "posteo.de"  # type: ignore[union-attr]
    assert provider_for("me@example.org") is None and provider_for("not an address") is None
    assert [account_name_for(a) for a in ("me@gmail.com", "me@mail.work.example", "x")] == [
        "gmail", "work", "mail"]


async def test_first_run_tests_saves_and_opens_the_inbox(dovecot, imap_user, memory_keyring,
                                                         tmp_path) -> None:
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                [make_message(1, subject="Welcome to sage-tui")])
    path = tmp_path / "config.toml"
    app = SageApp(None, watch=False, startup=Startup(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = setup_screen(app)
        assert "Set up your mail account" in text_of(screen, "#setup-title")
        address = f"{imap_user.name}@example.org"
        await fill_form(pilot, address=address, host=dovecot.host, port=dovecot.port,
                        password=imap_user.password, plain=True)
        assert screen.input_named("username").value == address
        assert screen.input_named("name").value == "example"
        assert screen.input_named("port").value == str(dovecot.port)
        assert "Plain text" in text_of(screen, "#plain-warning")
        assert screen.query_one("#plain-warning").has_class("-shown")

        await pilot.press("ctrl+t")
        await settle(pilot, lambda: "The connection works" in text_of(screen, "#results"))
        results = text_of(screen, "#results").splitlines()
        # sage-tui doctor's checks, one line each.
        assert f"✓ TCP connect: connected to {dovecot.host} port {dovecot.port}" in results
        assert any(line.startswith("– TLS: not encrypted") for line in results)
        assert any(line.startswith(f"✓ Login: logged in as {address}") for line in results)
        assert "✓ Folder list: 6 folders, INBOX present" in results
        assert not any(line.startswith("✗") for line in results)
        assert not path.exists()  # a test saves nothing

        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, MainScreen) and app.screen.loaded)
        main = app.screen
        assert isinstance(main, MainScreen) and main is app.main_screen
        assert main.folder == "INBOX"
        assert [main.model.row_at(i).subject for i in range(len(main.model))] == [
            "Welcome to sage-tui"]

    text = path.read_text(encoding="utf-8")
    assert imap_user.password not in text and "password" not in text.split("#")[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = load_settings(path)
    assert settings is not None and settings.default_account == "example"
    account = settings.account()
    assert (account.name, account.address, account.tls) == ("example", address, "none")
    assert (account.connection.host, account.connection.port, account.connection.username) == (
        dovecot.host, dovecot.port, address)
    assert memory_keyring.entries == {(SERVICE, "example"): imap_user.password}


async def test_a_wrong_password_and_an_untrusted_certificate_are_said_in_words(
        dovecot, imap_user) -> None:
    app = SageApp(None, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = setup_screen(app)
        await fill_form(pilot, address=f"{imap_user.name}@example.org", host=dovecot.host,
                        port=dovecot.port, password="not-the-password", plain=True,
                        typed=False)
        await pilot.press("ctrl+t")
        await settle(pilot, lambda: "✗" in text_of(screen, "#results"))
        results = text_of(screen, "#results")
        assert "✗ Login: The server refused the login" in results
        assert "not-the-password" not in results

        # Implicit TLS on the TLS port: Dovecot's certificate comes from a test CA that the
        # system does not trust, so verification (on by default) fails, and says so.
        port = screen.input_named("port")
        port.value = str(dovecot.tls_port)
        await pilot.click("#tls-implicit")
        await pilot.press("ctrl+t")
        await settle(pilot, lambda: "✗ TLS" in text_of(screen, "#results"))
        assert "✗ TLS: Untrusted certificate" in text_of(screen, "#results")


async def test_the_form_says_what_is_missing() -> None:
    app = SageApp(None, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = setup_screen(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Enter the server's name" in text_of(screen, "#form-error")
        await pilot.press(*"me@gmail.com")
        assert screen.input_named("host").value == "imap.gmail.com"  # pre-filled
        assert "app password" in text_of(screen, "#provider-note")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Enter the password" in text_of(screen, "#form-error")
        # Typing over the server makes it the user's: a new address no longer replaces it.
        screen.input_named("host").value = "imap.mine.example"
        screen.input_named("address").value = "me@fastmail.com"
        await pilot.pause()
        assert screen.input_named("host").value == "imap.mine.example"
        await pilot.press("escape")  # first run: cancel quits
        await pilot.pause()
    assert app.return_code == 0


async def test_a_broken_config_opens_setup_with_the_line_and_is_not_overwritten(
        dovecot, imap_user, tmp_path) -> None:
    from sage_tui.startup import read_startup

    path = tmp_path / "config.toml"
    broken = '# mine\n[accounts.work]\nhost = "imap.example.com"\nusername = "me"\nport = 0\n'
    path.write_text(broken, encoding="utf-8")
    keyring.set_keyring(fail.Keyring())  # and no keyring either: both are said, neither fails
    app = SageApp(None, watch=False, startup=read_startup(path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        screen = setup_screen(app)
        problem = text_of(screen, "#setup-problem")
        assert "config.toml line 5: accounts.work.port must be between 1 and 65535" in problem
        assert "The file is left as it is" in problem
        await fill_form(pilot, address=f"{imap_user.name}@example.org", host=dovecot.host,
                        port=dovecot.port, password=imap_user.password, plain=True,
                        typed=False)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, MainScreen) and app.screen.loaded)
        notes = [n.message for n in app._notifications]
        assert any("was not saved to it; it is open for this session only" in n for n in notes)
        assert any(n.startswith("The password was not stored. The keyring cannot be used")
                   and "password_command" in n for n in notes)
    assert path.read_text(encoding="utf-8") == broken


@pytest.fixture
def two_accounts(dovecot, tmp_path):
    """Two Dovecot users in one config file; passwords in the (in-memory) keyring."""
    first, second = dovecot.add_user(), dovecot.add_user()
    for user, subject in ((first, "for the first"), (second, "for the second")):
        seed_folder(dovecot.host, dovecot.port, user.name, user.password, "INBOX",
                    [make_message(1, subject=subject)])
    path = tmp_path / "config.toml"
    path.write_text(
        "".join(f'[accounts.{name}]\nhost = "{dovecot.host}"\nport = {dovecot.port}\n'
                f'tls = "none"\nusername = "{user.name}"\n\n'
                for name, user in (("first", first), ("second", second))), encoding="utf-8")
    keyring.set_password(SERVICE, "first", first.password)
    keyring.set_password(SERVICE, "second", second.password)
    return path


async def test_the_palette_switches_to_another_account(two_accounts) -> None:
    from sage_tui.startup import read_startup

    startup = read_startup(two_accounts)
    settings = startup.settings
    assert settings is not None
    first = settings.account()
    app = SageApp(first.account(keyring.get_password(SERVICE, "first") or ""), watch=False,
                  startup=Startup(startup.path, settings, account_name="first"))
    async with app.run_test(size=SIZE) as pilot:
        main = app.main_screen
        assert main is not None
        await settle(pilot, lambda: main.loaded)
        assert main.model.row_at(0).subject == "for the first"
        first_pool = main.client.pool
        await pilot.press("ctrl+p", *"account: open")
        await app.workers.wait_for_complete()
        await pilot.pause()
        from textual.command import CommandList

        hits = [str(option.prompt) for option in app.screen.query_one(CommandList).options]
        assert any("account: Open second" in hit for hit in hits)
        assert not any("account: Open first" in hit for hit in hits)  # it is open already
        await pilot.press("enter")
        await settle(pilot, lambda: app.main_screen is not main and app.main_screen is not None
                     and app.main_screen.loaded)
        second = app.main_screen
        assert second is not None and app.screen is second
        assert second.model.row_at(0).subject == "for the second"
        assert app.startup is not None and app.startup.account_name == "second"
        assert first_pool.closed  # the first account's connections were logged out
        assert not main.is_attached
