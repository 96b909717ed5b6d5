"""What stands between the network and the chat: a Host-header check (DNS rebinding), a request
size bound, and a login whenever the server listens beyond loopback."""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket

from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import PlainTextResponse

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
LOGIN_USER = "ceiling"
# A page's whole request (the chat history travels with every message) stays well under this;
# uploads are bounded separately by Gradio's max_file_size.
MAX_REQUEST_BYTES = 16_000_000
MAX_FILE_SIZE = "1mb"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str) -> list[str]:
    """Host-header values the server answers to: loopback names, plus the bound host and this machine's names.

    CEILING_CHAT_ALLOWED_HOSTS (comma-separated) adds names, e.g. a reverse proxy's."""
    names = set(LOOPBACK_NAMES)
    if not is_loopback(host):
        names |= _machine_names() | ({host} if host not in ("0.0.0.0", "::") else set())
    names |= {n.strip() for n in os.environ.get("CEILING_CHAT_ALLOWED_HOSTS", "").split(",") if n.strip()}
    return sorted(names)


def _machine_names() -> set[str]:
    names = {socket.gethostname(), socket.getfqdn()}
    try:
        names |= set(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:  # a host name that does not resolve: its IPs are unknown, the names still count
        pass
    return names | _outbound_address()


def _outbound_address() -> set[str]:
    """The address other machines reach this one at (Debian resolves the host name to 127.0.1.1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP connect sends nothing: it only picks the route's source address
            return {probe.getsockname()[0]}
        except OSError:  # no route at all: loopback only
            return set()


def login(host: str) -> tuple[str, str] | None:
    """The (user, password) a non-loopback server requires: CEILING_CHAT_PASSWORD, else a fresh random one."""
    if is_loopback(host):
        return None
    return LOGIN_USER, os.environ.get("CEILING_CHAT_PASSWORD") or secrets.token_urlsafe(12)


class BodyLimit:
    """Refuses a request whose declared body is larger than `max_bytes` (413), before anything reads it."""

    def __init__(self, app, max_bytes: int = MAX_REQUEST_BYTES):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            length = dict(scope.get("headers") or []).get(b"content-length", b"0")
            if not length.isdigit() or int(length) > self.max_bytes:
                response = PlainTextResponse(f"request larger than {self.max_bytes:,} bytes", status_code=413)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def middleware(host: str) -> list[Middleware]:
    return [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(host)), Middleware(BodyLimit)]
