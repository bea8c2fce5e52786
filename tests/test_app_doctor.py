"""The doctor from inside the app: the palette runs ``sage-tui doctor``'s checks on the open
account and shows the report; a stopped server gives a failed report in words."""

from __future__ import annotations

from textual.command import CommandPalette

from sage_tui.screens.doctor import DoctorScreen
from tests.support.app import main_screen, make_app, settle
from tests.support.engine import plain_config


async def _open_doctor(pilot) -> DoctorScreen:
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*"check the connection")
    await settle(pilot)
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, DoctorScreen)
    await settle(pilot, lambda: screen.healthy is not None, timeout=30)
    return screen


async def test_the_palette_runs_the_doctor_on_the_open_account(dovecot, imap_user):
    app = make_app(plain_config(dovecot.host, dovecot.port, imap_user))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.loaded)
        doctor = await _open_doctor(pilot)
        report = str(doctor.query_one("#doctor-report").render())
        assert doctor.healthy and "Healthy: every check passed." in report
        assert "login" in report.lower() and imap_user.password not in report
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_a_refusing_server_gives_a_failed_report_in_words(dovecot, imap_user,
                                                                fault_proxy):
    proxy = fault_proxy()
    app = make_app(plain_config(dovecot.host, proxy.port, imap_user))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.loaded)
        proxy.refuse(True)
        proxy.reset_all()
        doctor = await _open_doctor(pilot)
        report = str(doctor.query_one("#doctor-report").render())
        assert doctor.healthy is False and "Not healthy" in report
        assert "Traceback" not in report
