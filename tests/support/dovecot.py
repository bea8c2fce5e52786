"""A throwaway Dovecot for tests and benchmarks: temp dir, free loopback ports, a test CA.

Facts this relies on (see shared/notes/dovecot.md): as root the login process must not run as
root, so mail users get the uid of ``dovecot``; unix socket paths must stay short (``/tmp/dvXXXX``);
a stale ``master.pid`` blocks a restart; "ready" means the ``* OK`` greeting has arrived.
"""

from __future__ import annotations

import contextlib
import getpass
import itertools
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import trustme

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"

CERT_NAMES = ("127.0.0.1", "localhost", "imap.example.com")
"""Names the server certificate is valid for; imap.example.com serves the practice guide test."""

PREPARED_USERS = 400
"""Users written before the server starts. Dovecot may not notice a passwd-file change made in
the same second as its last read, so users added while it runs can be refused for a while."""
KNOWN_USERS = (("user", "password"),)
"""The practice guide's example account (Dovecot drops the ``@example.com`` domain)."""

_CONFIG = """\
first_valid_uid = 1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_cache_size = 0
protocol imap {{
  mail_max_userip_connections = 100
}}
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%n {root}/passwd
}}
mail_location = maildir:~/Maildir
mail_fsync = never
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
  chroot =
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    auto = subscribe
    special_use = \\Drafts
  }}
  mailbox Sent {{
    auto = subscribe
    special_use = \\Sent
  }}
  mailbox Archive {{
    auto = subscribe
    special_use = \\Archive
  }}
  mailbox Junk {{
    auto = subscribe
    special_use = \\Junk
  }}
  mailbox Trash {{
    auto = subscribe
    special_use = \\Trash
  }}
}}
"""


@dataclass(frozen=True)
class DovecotUser:
    name: str
    password: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DovecotServer:
    """One Dovecot instance with its own users, ports, certificate and log.

    Args:
        root: Directory for everything; a fresh short ``/tmp/dvXXXX`` when None (unix socket
            paths under it must stay below ~108 bytes).
    """

    host = "127.0.0.1"

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root or tempfile.mkdtemp(prefix="dv", dir="/tmp"))
        self.root.chmod(0o755)
        self.config_path = self.root / "dovecot.conf"
        self.ca = trustme.CA()
        self.ca_file = self.root / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        server_cert = self.ca.issue_cert(*CERT_NAMES)
        server_cert.private_key_pem.write_to_path(str(self.root / "key.pem"))
        server_cert.cert_chain_pems[0].write_to_path(str(self.root / "cert.pem"))
        for name in ("run", "state", "home"):
            (self.root / name).mkdir(exist_ok=True)
            (self.root / name).chmod(0o755)
        (self.root / "passwd").write_text("")
        self._process: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        self._known: dict[str, str] = {}
        self.port = 0
        self.tls_port = 0
        if os.geteuid() == 0:
            self._internal, self._login = "dovecot", "dovenull"
            self._mail_uid, self._mail_gid = pwd.getpwnam("dovecot")[2:4]
        else:
            self._internal = self._login = getpass.getuser()
            self._mail_uid, self._mail_gid = os.getuid(), os.getgid()

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self, *, same_ports: bool = False) -> None:
        """Start and wait for the greeting; fresh ports unless ``same_ports``."""
        self._prepare_users()
        if not same_ports or not self.port:
            self.port, self.tls_port = free_port(), free_port()
        with contextlib.suppress(FileNotFoundError):
            (self.root / "run" / "master.pid").unlink()
        self.config_path.write_text(_CONFIG.format(
            root=self.root, port=self.port, tls_port=self.tls_port, internal=self._internal,
            internal_group=self._internal, login=self._login))
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so stop() can end every child
        )
        try:
            self._wait_ready(15.0)
        except Exception:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                error = self._process.stderr.read().decode() if self._process.stderr else ""
                raise RuntimeError(f"dovecot exited: {error}\n{self._log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if not sock.recv(200).startswith(b"* OK"):
                        raise OSError("no greeting yet")
                context = ssl.create_default_context(cafile=str(self.ca_file))
                with socket.create_connection((self.host, self.tls_port), timeout=1) as raw, \
                        context.wrap_socket(raw, server_hostname="localhost") as tls:
                    if tls.recv(200).startswith(b"* OK"):
                        return
            except OSError as exc:
                last_error = exc
                time.sleep(0.05)
        raise RuntimeError(f"dovecot not ready after {timeout} s ({last_error})\n"
                           f"{self._log_tail()}")

    def stop(self) -> None:
        """SIGTERM the master, then end every process it left (a real server stop).

        Dovecot's master exits on SIGTERM but lets running imap sessions finish; a test that
        stops the server wants every connection gone, so the whole process group is killed.
        """
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.stderr:
            process.stderr.close()
        with contextlib.suppress(FileNotFoundError):
            (self.root / "run" / "master.pid").unlink()

    def restart(self, *, same_ports: bool = True) -> None:
        """Stop and start again; with ``same_ports``, retry while the old ports are released."""
        self.stop()
        for attempt in range(20):
            try:
                self.start(same_ports=same_ports)
                return
            except RuntimeError:
                if attempt == 19:
                    raise
                time.sleep(0.25)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    # -- users and faults ---------------------------------------------------------------------

    def _prepare_users(self) -> None:
        """Write the users before the first start (see ``PREPARED_USERS``)."""
        if self._known:
            return
        users = [(f"u{n:04d}", "secret") for n in range(1, PREPARED_USERS + 1)]
        for name, password in [*users, *KNOWN_USERS]:
            self._write_user(name, password)

    def _write_user(self, name: str, password: str) -> None:
        home = self.root / "home" / name
        home.mkdir(parents=True, exist_ok=True)
        os.chown(home, self._mail_uid, self._mail_gid)
        with (self.root / "passwd").open("a") as passwd:
            passwd.write(f"{name}:{{PLAIN}}{password}:{self._mail_uid}:{self._mail_gid}::"
                         f"{home}\n")
        self._known[name] = password

    def add_user(self, name: str | None = None, password: str = "secret") -> DovecotUser:
        """A user with empty mailboxes that nobody else uses.

        Without a name, the next prepared user; a prepared name returns that user; a new name is
        written to the passwd-file, and this waits until Dovecot accepts it.
        """
        self._prepare_users()
        if name is None:
            number = next(self._names)
            if number > PREPARED_USERS:
                raise RuntimeError(f"more than {PREPARED_USERS} users asked for; raise the limit")
            name = f"u{number:04d}"
            return DovecotUser(name, self._known[name])
        if self._known.get(name) == password:
            return DovecotUser(name, password)
        if name in self._known:
            raise ValueError(f"user {name} exists with another password")
        self._write_user(name, password)
        self._wait_for_login(name, password)
        return DovecotUser(name, password)

    def _wait_for_login(self, name: str, password: str) -> None:
        import imaplib

        deadline = time.monotonic() + 10
        while True:
            imap = imaplib.IMAP4(self.host, self.port, timeout=5)
            try:
                imap.login(name, password)
                imap.logout()
                return
            except imaplib.IMAP4.error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
                os.utime(self.root / "passwd")  # a new mtime makes Dovecot read the file again
            finally:
                with contextlib.suppress(Exception):
                    imap.shutdown()

    def doveadm(self, *args: str) -> str:
        result = subprocess.run([DOVEADM, "-c", str(self.config_path), *args],
                                capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def kick(self, user: str) -> None:
        """Drop every connection of ``user`` (the next command on them fails)."""
        with contextlib.suppress(RuntimeError):  # exit code 68 when nobody was connected
            self.doveadm("kick", user)

    def set_uidvalidity(self, user: str, folder: str, value: int) -> None:
        self.doveadm("mailbox", "update", "--uid-validity", str(value), "-u", user, folder)

    def imap_pids(self, user: str) -> list[int]:
        """Pids of the ``imap`` processes serving ``user`` (to SIGSTOP a session)."""
        pids = []
        for line in self.doveadm("who", "-1").splitlines()[1:]:
            parts = line.split()
            if parts and parts[0] == user:
                pids.extend(int(p) for p in parts[2].strip("()").split() if p.isdigit())
        return pids

    def log_text(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])
