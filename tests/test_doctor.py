"""``sage-tui doctor`` against the real Dovecot: a healthy account, and each failure a user can
fix with its own sentence and exit code (wrong password, closed port, unknown name, untrusted
certificate, certificate for another name, a server that never answers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from sage_tui.cli import main
from sage_tui.doctor import Problem
from tests.support.dovecot import DovecotServer, DovecotUser, free_port
from tests.support.fake_server import FakeIMAPServer

PASSWORD_SHOWN = "Never-Shown-pw-7781"
CHECK_NAMES = ["dns", "tcp", "tls", "greeting", "capabilities", "login", "folders", "latency"]


def doctor(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, password: str,
           *flags: str) -> tuple[int, str]:
    """Run ``sage-tui doctor`` in-process with the password in the environment."""
    monkeypatch.setenv("SAGE_TUI_PASSWORD", password)
    code = main(["doctor", *flags])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert password not in out + err
    return code, out + err


def flat(text: str) -> str:
    """The report with its line wrapping undone, to look for whole sentences."""
    return " ".join(text.split())


def account(server: DovecotServer, user: DovecotUser, port: int, tls: str) -> list[str]:
    return ["--host", server.host, "--port", str(port), "--user", user.name, "--tls", tls]


@pytest.fixture
def trust_test_ca(dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """This computer trusts the test CA (OpenSSL reads ``SSL_CERT_FILE`` for its default CAs)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.ca_file))


def test_healthy_account_text_report(dovecot, imap_user, trust_test_ca, capsys, monkeypatch):
    code, out = doctor(capsys, monkeypatch, imap_user.password,
                       *account(dovecot, imap_user, dovecot.tls_port, "implicit"))
    assert code == 0
    for title in ("DNS resolution", "TCP connect", "TLS", "Server greeting", "Capabilities",
                  "Login", "Folder list", "Round trip"):
        assert any(line.split()[:1] == ["ok"] and title in line for line in out.splitlines()), title
    text = flat(out)
    assert "certificate verified" in text and "TLSv1." in text
    assert "Issued by" in text and "Testing CA" in text  # the issuer, as trustme names it
    assert "Valid for" in text and "localhost" in text and "Expires" in text
    assert "INBOX present" in text and "NOOPs" in text
    assert out.rstrip().endswith("Healthy: every check passed.")


def test_healthy_account_json_report(dovecot, imap_user, trust_test_ca, capsys, monkeypatch):
    code, out = doctor(capsys, monkeypatch, imap_user.password, "--json",
                       *account(dovecot, imap_user, dovecot.port, "starttls"))
    report = json.loads(out)
    assert code == 0 and report["healthy"] is True and report["exit_code"] == 0
    assert report["problem"] is None and report["message"] is None
    assert set(report) >= {"schema", "healthy", "server", "tls", "capabilities", "folders",
                           "latency_ms", "checks"}
    assert [c["name"] for c in report["checks"]] == [
        "dns", "tcp", "greeting", "tls", "capabilities", "login", "folders", "latency"]
    assert all(c["status"] == "ok" and c["duration_ms"] >= 0 for c in report["checks"])
    assert report["server"] == {**report["server"], "host": dovecot.host, "port": dovecot.port,
                                "user": imap_user.name, "tls_mode": "starttls",
                                "connected_to": "127.0.0.1"}
    tls = report["tls"]
    assert tls["version"] in ("TLSv1.2", "TLSv1.3") and tls["verified"] is True
    assert "127.0.0.1" in tls["names"] and tls["days_left"] > 0 and "trustme" in tls["issuer"]
    assert {"IMAP4REV1", "IDLE", "MOVE", "UIDPLUS"} <= set(report["capabilities"])
    assert report["folders"]["inbox"] is True and report["folders"]["count"] >= 6
    assert report["latency_ms"] > 0 and len(report["latency_samples_ms"]) == 5


def test_wrong_password(dovecot, imap_user, capsys, monkeypatch):
    code, out = doctor(capsys, monkeypatch, PASSWORD_SHOWN,
                       *account(dovecot, imap_user, dovecot.port, "none"))
    assert code == Problem.LOGIN == 9
    text = flat(out)
    assert f"The server refused the login for {imap_user.name}" in text
    assert "SAGE_TUI_PASSWORD" in text  # says where the password came from
    assert "not encrypted (--tls none); the server is on this computer" in text  # skipped
    assert "not checked: Login failed" in text
    assert "Not healthy: Login failed (login, exit code 9)." in text


def test_refused_port(dovecot, imap_user, capsys, monkeypatch):
    port = free_port()  # bound and released: nothing listens there
    code, out = doctor(capsys, monkeypatch, imap_user.password,
                       *account(dovecot, imap_user, port, "implicit"))
    assert code == Problem.REFUSED == 4
    assert f"127.0.0.1 port {port} refused the connection: nothing is listening there" in flat(out)
    assert "Check --port" in flat(out)


def test_unknown_host_name(imap_user, capsys, monkeypatch):
    code, out = doctor(capsys, monkeypatch, imap_user.password, "--json", "--host",
                       "no-such-server.invalid", "--user", imap_user.name)
    report = json.loads(out)
    assert code == Problem.DNS == 3 and report["problem"] == "dns"
    assert "no-such-server.invalid could not be resolved" in report["message"]
    assert [c["status"] for c in report["checks"]] == ["failed"] + ["skipped"] * 7
    assert [c["name"] for c in report["checks"]] == CHECK_NAMES


def test_certificate_from_an_unknown_authority(dovecot, imap_user, capsys, monkeypatch):
    code, out = doctor(capsys, monkeypatch, imap_user.password,
                       *account(dovecot, imap_user, dovecot.tls_port, "implicit"))
    assert code == Problem.CERTIFICATE_UNTRUSTED == 6
    assert "Untrusted certificate" in flat(out)
    assert "issued by an authority this computer does not trust" in flat(out)
    assert "--insecure" in flat(out) and "ssl_verify = false" in flat(out)
    assert "Wrong host name" not in flat(out)


def test_insecure_skips_verification_and_says_so(dovecot, imap_user, capsys, monkeypatch):
    code, out = doctor(capsys, monkeypatch, imap_user.password, "--insecure", "--json",
                       *account(dovecot, imap_user, dovecot.tls_port, "implicit"))
    report = json.loads(out)
    assert code == 0 and report["tls"]["verified"] is False
    tls_check = next(c for c in report["checks"] if c["name"] == "tls")
    assert "certificate NOT verified" in tls_check["detail"]
    assert "127.0.0.1" in report["tls"]["names"]  # the unverified certificate is still shown


@pytest.fixture(scope="module")
def other_name_dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DovecotServer]:
    """A Dovecot whose certificate (from its test CA) names no address: connecting to
    127.0.0.1 is connecting to a name the certificate is not for. (``localhost`` stays in it
    for the server's own readiness check.)"""
    server = DovecotServer()
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(server.ca_file))
    cert = ca.issue_cert("localhost", "mail.other.example")
    cert.private_key_pem.write_to_path(str(server.root / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(server.root / "cert.pem"))
    server.start()
    yield server
    server.cleanup()


def test_certificate_for_another_host_name(other_name_dovecot, capsys, monkeypatch):
    server = other_name_dovecot
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
    user = server.add_user()
    code, out = doctor(capsys, monkeypatch, user.password,
                       *account(server, user, server.tls_port, "implicit"))
    assert code == Problem.CERTIFICATE_HOSTNAME == 7
    assert "Wrong host name" in flat(out) and "not for 127.0.0.1" in flat(out)
    assert "--insecure" in flat(out) and "ssl_verify = false" in flat(out)
    assert "Untrusted certificate" not in flat(out)


def test_server_that_stalls_past_the_timeout(dovecot, imap_user, fault_proxy, capsys,
                                             monkeypatch):
    proxy = fault_proxy()
    proxy.stall(True)  # the port accepts, and then nothing comes back
    code, out = doctor(capsys, monkeypatch, imap_user.password, "--json", "--timeout", "0.5",
                       *account(dovecot, imap_user, proxy.port, "none"))
    report = json.loads(out)
    assert code == Problem.TIMEOUT == 5 and report["problem"] == "timeout"
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses["tcp"] == "ok" and statuses["greeting"] == "failed"
    assert "did not answer within 0.5 s during the server greeting" in report["message"]


def test_every_failure_has_its_own_exit_code():
    codes = [int(problem) for problem in Problem]
    assert len(set(codes)) == len(codes)
    assert 0 not in codes and 2 not in codes  # healthy, and argparse's usage error


def test_demo_server(capsys, monkeypatch):
    monkeypatch.delenv("SAGE_TUI_PASSWORD", raising=False)
    code = main(["doctor", "--demo", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["healthy"] is True
    assert report["tls"]["mode"] == "none" and report["folders"]["inbox"] is True
    assert {c["name"]: c["status"] for c in report["checks"]}["tls"] == "skipped"


def test_usage_errors_exit_2_without_a_traceback(capsys):
    with pytest.raises(SystemExit) as info:
        main(["doctor", "--host", "imap.example.com"])
    assert info.value.code == 2
    assert "--host and --user" in capsys.readouterr().err


def test_no_password_and_no_terminal(capsys, monkeypatch):
    monkeypatch.delenv("SAGE_TUI_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["doctor", "--host", "imap.example.com", "--user", "me"]) == 2
    assert "SAGE_TUI_PASSWORD" in capsys.readouterr().err


def test_the_run_is_logged_without_the_password(dovecot, imap_user, capsys, monkeypatch,
                                                 tmp_path: Path):
    monkeypatch.setenv("SAGE_TUI_LOG_DIR", str(tmp_path))
    code, _ = doctor(capsys, monkeypatch, PASSWORD_SHOWN,
                     *account(dovecot, imap_user, dovecot.port, "none"))
    assert code == Problem.LOGIN
    text = (tmp_path / "sage-tui.log").read_text()
    assert "op=doctor.greeting" in text and "op=doctor.login" in text
    assert "outcome=login" in text and PASSWORD_SHOWN not in text


@pytest.fixture
def fake_server() -> Iterator[type[FakeIMAPServer]]:
    """Scripted servers for what Dovecot will not do on purpose (tests/support/fake_server.py)."""
    started: list[FakeIMAPServer] = []

    def start(**options: object) -> FakeIMAPServer:
        server = FakeIMAPServer(**options).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start  # type: ignore[misc]
    for server in started:
        server.stop()


def fake_account(server: FakeIMAPServer) -> list[str]:
    return ["--host", server.host, "--port", str(server.port), "--user", "me", "--tls", "none"]


def test_hostile_greeting_is_shown_literally(fake_server, capsys, monkeypatch):
    server = fake_server(greeting=b"* OK [CAPABILITY {caps}] \x1b[2J\x1b[31mhello\x9b0m\r\n")
    code, out = doctor(capsys, monkeypatch, "pw-1", *fake_account(server))
    assert code == 0
    assert "\x1b" not in out and "\x9b" not in out
    assert "␛[2J␛[31mhello" in out  # visible, not obeyed


def test_server_problems_have_their_own_words(fake_server, capsys, monkeypatch):
    bye = fake_server(greeting=b"* BYE too many connections from your address\r\n")
    code, out = doctor(capsys, monkeypatch, "pw-1", *fake_account(bye))
    assert code == Problem.SERVER
    assert "turned the connection away: * BYE too many connections" in flat(out)

    no_inbox = fake_server(folders=["Archive", "Sent"])
    code, out = doctor(capsys, monkeypatch, "pw-1", *fake_account(no_inbox))
    assert code == Problem.SERVER and "lists 2 folders but no INBOX" in flat(out)

    plain_refused = fake_server(handlers={
        "CAPABILITY": b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n{tag} OK done\r\n"})
    code, out = doctor(capsys, monkeypatch, "pw-1", *fake_account(plain_refused))
    assert code == Problem.SERVER and "LOGINDISABLED" in out
    assert "Use --tls starttls or --tls implicit" in flat(out)
    assert not any(r.verb == "LOGIN" for r in plain_refused.received)  # nothing was sent


def test_the_console_command_exits_with_the_problem_code(imap_user):
    port = free_port()
    environment = {**os.environ, "SAGE_TUI_PASSWORD": imap_user.password}
    result = subprocess.run(
        [sys.executable, "-m", "sage_tui", "doctor", "--host", "127.0.0.1", "--port", str(port),
         "--user", imap_user.name, "--tls", "none"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, env=environment, timeout=60)
    assert result.returncode == Problem.REFUSED
    assert "refused the connection" in result.stdout and "Traceback" not in result.stderr


def test_the_doctor_does_not_load_textual():
    code = ("import sys, sage_tui.doctor.command\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
