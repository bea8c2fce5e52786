"""The demo account: a deterministic realistic mailbox served by an embedded IMAP server.

``sage-tui --demo`` (and the tests) need a server with thousands of realistic messages and no
network, credentials or installed daemon; ``DemoServer`` runs pymap in a background thread on
loopback, seeded from ``generate_mailbox``.
"""

from .mailbox import DEMO_FOLDERS, DemoMessage, generate_mailbox
from .server import DemoServer

__all__ = ["DEMO_FOLDERS", "DemoMessage", "DemoServer", "generate_mailbox"]
