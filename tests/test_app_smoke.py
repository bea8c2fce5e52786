"""First-screen behaviour of the app against Dovecot."""

from __future__ import annotations

from tests.support.app import main_screen, make_app, settle
from tests.support.engine import plain_config
from tests.support.seed import make_message, seed_folder


async def test_opens_inbox_newest_first(dovecot, imap_user):
    seed_folder(dovecot.host, dovecot.port, imap_user.name, imap_user.password, "INBOX",
                [make_message(i, subject=f"message {i}") for i in range(1, 31)])
    app = make_app(plain_config(dovecot.host, dovecot.port, imap_user))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.loaded)
        assert len(screen.model) == 30
        assert screen.model.row_at(0).subject == "message 30"
        await pilot.press("j", "j")
        assert screen.model.current.subject == "message 28"
