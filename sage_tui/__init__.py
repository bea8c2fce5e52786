"""sage-tui: a terminal mail-triage application on a resilient IMAP engine."""

__version__ = "0.1.0"
