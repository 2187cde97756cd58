"""Drive the local digital-ID provider (idp/server.mjs) from Python tests.

`run_idp()` starts the provider as a subprocess on a free loopback port and
stops it afterwards; `idp_sign_in()` plays the citizen at the provider's login
and consent forms with `requests`, the way a browser would, and hands back the
redirect to the relying party's callback without following it. Nothing here
knows about the portal, so any relying party test can use it.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Self
from urllib.parse import urljoin, urlsplit

import requests

from tests.support.html import hidden_fields, html, page_text

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = REPO_ROOT / "idp" / "server.mjs"
PERSONAS_FILE = REPO_ROOT / "idp" / "personas.json"

READY_PREFIX = "IDP_READY "
START_TIMEOUT_SECONDS = 20
STOP_TIMEOUT_SECONDS = 5
HTTP_TIMEOUT_SECONDS = 10
# A sign-in is at most: authorize, login form, resume, consent form, resume.
MAX_STEPS = 12


class IdpError(RuntimeError):
    """The provider did not start, or a sign-in did not reach the client."""


class IdpServer:
    """A running `node idp/server.mjs`; use as a context manager or call
    `start()` and `stop()`.

    `clients` replaces the provider's default client (`ventanilla`): a list of
    client metadata dicts (`client_id`, `client_secret`, `redirect_uris`,
    `post_logout_redirect_uris`, optionally `token_endpoint_auth_method` and
    `jwks`). `env` adds environment variables such as `IDP_JWKS_FILE`.
    """

    def __init__(
        self,
        clients: list[dict[str, Any]] | None = None,
        port: int = 0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.clients = clients
        self.port = port
        self.env = env or {}
        self.issuer: str | None = None
        self._process: subprocess.Popen[str] | None = None
        self._ready = threading.Event()
        self._readers: list[threading.Thread] = []
        # Kept for error messages: why the provider failed to start or died.
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=50)

    def start(self) -> Self:
        env = {**os.environ, **self.env}
        if self.clients is not None:
            env["IDP_CLIENTS"] = json.dumps(self.clients)
        self._process = subprocess.Popen(
            ["node", str(SERVER_SCRIPT), "--port", str(self.port)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        # Both pipes are read to the end by threads: a provider that logs a lot
        # must never block on a full pipe buffer.
        self._readers = [
            threading.Thread(target=self._read_stdout, args=(self._process.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(self._process.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        if not self._ready.wait(START_TIMEOUT_SECONDS) or self.issuer is None:
            self.stop()
            raise IdpError("the provider did not report IDP_READY:\n" + "\n".join(self.stderr_tail))
        return self

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for reader in self._readers:
            reader.join()
        process.stdout.close()
        process.stderr.close()

    def _read_stdout(self, stdout: IO[str]) -> None:
        for line in stdout:
            if line.startswith(READY_PREFIX):
                self.issuer = line[len(READY_PREFIX) :].strip()
                self._ready.set()
        # End of output means the process is gone: stop waiting for it.
        self._ready.set()

    def _read_stderr(self, stderr: IO[str]) -> None:
        for line in stderr:
            self.stderr_tail.append(line.rstrip("\n"))

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextmanager
def run_idp(
    clients: list[dict[str, Any]] | None = None,
    port: int = 0,
    env: dict[str, str] | None = None,
) -> Iterator[IdpServer]:
    """Run the provider for the duration of the block; see `IdpServer`."""
    with IdpServer(clients=clients, port=port, env=env) as server:
        yield server


def load_personas() -> list[dict[str, Any]]:
    """The provider's accounts, as in idp/personas.json."""
    return json.loads(PERSONAS_FILE.read_text(encoding="utf-8"))


def idp_sign_in(
    authorize_url: str,
    login: str,
    *,
    consent: bool = True,
    session: requests.Session | None = None,
) -> str:
    """Sign in at the provider as `login` and return the redirect to the client.

    Starts at `authorize_url` (the provider's authorization endpoint with the
    client's query), fills in the login form with any password and then the
    consent form, and returns the `Location` the provider sends the browser
    to: the client's redirect_uri with `code` and `state`, or with `error`.
    With `consent=False` the citizen cancels at the consent form, which gives
    `error=access_denied`.

    Pass the same `session` to reuse the provider's single sign-on cookie: a
    second authorization then skips the forms the citizen already answered.
    An unknown login raises `IdpError`.
    """
    return _walk(authorize_url, session or requests.Session(), login=login, consent=consent)


def idp_cancel(authorize_url: str, *, session: requests.Session | None = None) -> str:
    """Cancel at the provider's login form; returns the redirect to the client
    with `error=access_denied`."""
    return _walk(authorize_url, session or requests.Session(), login=None, consent=False)


def idp_sign_out(end_session_url: str, session: requests.Session) -> str:
    """Confirm RP-initiated logout at the provider and return the redirect to
    the client's post_logout_redirect_uri (or the provider's own "signed out"
    page when the request named none).

    `session` must be the one that signed in, since it holds the provider's
    session cookie.
    """
    page = session.get(end_session_url, timeout=HTTP_TIMEOUT_SECONDS)
    _raise_for_status(page)
    form = html(page).find("form", id="op.logoutForm")
    if form is None:
        raise IdpError(f"expected the provider's logout confirmation at {page.url}")
    fields = hidden_fields(form) | {"logout": "yes"}
    response = session.post(
        urljoin(page.url, form["action"]),
        data=fields,
        allow_redirects=False,
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    _raise_for_status(response)
    if not response.is_redirect:
        raise IdpError(f"logout did not redirect: {response.status_code} {response.url}")
    return urljoin(response.url, response.headers["Location"])


def _walk(
    url: str,
    session: requests.Session,
    *,
    login: str | None,
    consent: bool,
) -> str:
    """Follow the provider's redirects and answer its forms until it sends the
    browser away from the provider; return that URL.

    `login=None` means cancel instead of signing in.
    """
    provider_origin = _origin(url)
    response = session.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT_SECONDS)
    for _ in range(MAX_STEPS):
        _raise_for_status(response)
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if _origin(target) != provider_origin:
                return target
            response = session.get(target, allow_redirects=False, timeout=HTTP_TIMEOUT_SECONDS)
            continue
        response = _answer_interaction(response, session, login=login, consent=consent)
    raise IdpError(f"sign-in did not reach the client after {MAX_STEPS} steps")


def _answer_interaction(
    page: requests.Response,
    session: requests.Session,
    *,
    login: str | None,
    consent: bool,
) -> requests.Response:
    """Submit the login or consent form on `page`, or follow its cancel link."""
    soup = html(page)
    form = soup.find("form", method="post")
    prompt = form and form.find("input", attrs={"name": "prompt"})
    if prompt is None:
        raise IdpError(f"unexpected page at {page.url}:\n{page_text(soup)}")

    cancel = (prompt["value"] == "login" and login is None) or (
        prompt["value"] == "consent" and not consent
    )
    if cancel:
        abort = soup.find("a", href=lambda href: href and href.endswith("/abort"))
        return session.get(
            urljoin(page.url, abort["href"]), allow_redirects=False, timeout=HTTP_TIMEOUT_SECONDS
        )

    fields = hidden_fields(form)
    if prompt["value"] == "login":
        fields |= {"login": login, "password": "any password will do"}
    return session.post(
        urljoin(page.url, form["action"]),
        data=fields,
        allow_redirects=False,
        timeout=HTTP_TIMEOUT_SECONDS,
    )


def _raise_for_status(response: requests.Response) -> None:
    if response.status_code >= 400:
        soup = html(response)
        message = page_text(soup.find(role="alert") or soup)
        raise IdpError(f"{response.status_code} at {response.url}: {message}")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc
