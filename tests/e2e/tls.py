"""A throwaway certificate authority and a server certificate for 127.0.0.1, made with `openssl`.

The radar client trusts the CA through REQUESTS_CA_BUNDLE only; nothing turns verification off.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SERVER_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
"""


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the bundle the client trusts (REQUESTS_CA_BUNDLE)
    cert: Path  # the server's certificate
    key: Path  # the server's private key


def _openssl(*arguments: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *arguments], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {arguments[0]} failed: {done.stderr.strip()}")


def make_certificates(folder: Path) -> Certificates:
    """A CA (self-signed, 1 day) and a server certificate it signed for IP 127.0.0.1."""
    if shutil.which("openssl") is None:
        raise RuntimeError(
            "the end-to-end tests need the `openssl` command to make a throwaway CA and server "
            "certificate (Debian/Ubuntu: apt-get install openssl)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "server.ext").write_text(SERVER_EXTENSIONS, "utf-8")
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-keyout", "ca.key", "-out", "ca.pem",
        "-subj", "/CN=radar e2e throwaway CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1",
        cwd=folder,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "1", "-out", "server.pem", "-extfile", "server.ext",
        cwd=folder,
    )  # fmt: skip
    return Certificates(ca=folder / "ca.pem", cert=folder / "server.pem", key=folder / "server.key")
