"""pytest plugin: httpx clients that replay recorded fixtures, or record them with ``--record-fixtures``.

Installed with topicscrape (entry point ``pytest11``), so any project's tests can write::

    def test_listing(topicscrape_replay):
        with topicscrape_replay.client() as client:
            page = client.get("https://www.dhs.gov/keywords/secure-communities")
        assert page.status_code == 200

The fixtures come from a folder (or a ``.warc``/``.warc.gz`` file), relative to pytest's rootdir:
the ``@pytest.mark.topicscrape_fixtures("path")`` marker on the test (or its module/class), else
the ``topicscrape_fixtures`` ini option, else ``fixtures``. Replay never opens a socket; a URL not
recorded raises :class:`~scraper.errors.FixtureMissing`, naming the URL and how to record it.

``pytest --record-fixtures`` turns every client into a recorder: requests go to the live site and
each complete response is saved (re-recording replaces, never duplicates; ``pytest -n 4`` workers
may record into one folder or WARC at once). Record deliberately: secrets are not saved (no
cookies, no ``Authorization``, no ``user:password@`` in a URL), but the bodies are, as served.
A response the test closes before reading its body to the end (``client.stream()`` left half-read)
is not saved, and a :class:`FixtureNotRecordedWarning` names it: the replay run would not find it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from scraper.errors import FixtureMissing
from scraper.fixtures import CapturingTransport, FixtureFolder, RecordingTransport, ReplayTransport
from scraper.warc import WarcArchive, WarcRecordingTransport, is_warc_path

__all__ = [
    "DEFAULT_FIXTURES",
    "INI_OPTION",
    "MARKER",
    "RECORD_OPTION",
    "FixtureNotRecordedWarning",
    "TopicscrapeReplay",
    "pytest_addoption",
    "pytest_configure",
    "topicscrape_replay",
]

MARKER = "topicscrape_fixtures"
INI_OPTION = "topicscrape_fixtures"
RECORD_OPTION = "--record-fixtures"
DEFAULT_FIXTURES = "fixtures"
_HINT = f"or record it from pytest: run the test again with {RECORD_OPTION}"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--record-fixtures`` and the ``topicscrape_fixtures`` ini option."""
    group = parser.getgroup("topicscrape", "topicscrape fixtures")
    group.addoption(
        RECORD_OPTION,
        action="store_true",
        default=False,
        help="topicscrape_replay clients fetch live and (re)record every response into the fixtures",
    )
    parser.addini(
        INI_OPTION,
        help=f"topicscrape_replay's fixture folder or WARC file, from rootdir (default: {DEFAULT_FIXTURES})",
        default=DEFAULT_FIXTURES,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, so ``--strict-markers`` accepts it."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(path): the fixture folder or WARC file topicscrape_replay uses, relative to rootdir",
    )


class FixtureNotRecordedWarning(UserWarning):
    """Under ``--record-fixtures``, a response was closed before its body was read to the end, so it
    was not saved and a replay run will raise ``FixtureMissing`` for it. Read the body whole
    (``response.read()``) while recording, or filter this warning if the test means it."""


class _WarnAbandoned(CapturingTransport):
    """A recorder that warns (rather than logs) when a test leaves a body half-read."""

    def abandoned(self, url: str, status: int, read: int) -> None:
        """Warn with the URL: the test passes now, and its replay would fail without this."""
        warnings.warn(
            FixtureNotRecordedWarning(
                f"{url} (HTTP {status}) was not recorded: the response was closed after {read} bytes, "
                "before its body was read to the end; read it whole (response.read()) to record it"
            ),
            stacklevel=2,
        )


class _PytestRecording(_WarnAbandoned, RecordingTransport):
    """Records into a fixture folder; warns about bodies left half-read."""


class _PytestWarcRecording(_WarnAbandoned, WarcRecordingTransport):
    """Records into a WARC file; warns about bodies left half-read."""


class _PytestReplay(ReplayTransport):
    """Replay that also tells a tester how to record from pytest when a URL is missing."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Replay for sync clients."""
        try:
            return super().handle_request(request)
        except FixtureMissing as exc:
            exc.add_note(_HINT)
            raise

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Replay for async clients."""
        try:
            return await super().handle_async_request(request)
        except FixtureMissing as exc:
            exc.add_note(_HINT)
            raise


class TopicscrapeReplay:
    """What the ``topicscrape_replay`` fixture gives a test: httpx clients over the fixtures.

    Attributes:
        folder: the fixture folder or WARC file in use.
        recording: True under ``--record-fixtures`` (clients fetch live and save).

    Clients made by :meth:`client` are closed after the test; use :meth:`async_client` with
    ``async with`` (its connections belong to the test's event loop).
    """

    def __init__(self, folder: Path, *, recording: bool = False) -> None:
        self.folder = folder
        self.recording = recording
        self._source: FixtureFolder | WarcArchive | None = None
        self._clients: list[httpx.Client] = []

    def _fixtures(self) -> FixtureFolder | WarcArchive:
        """The saved responses, read once; a folder or file not there yet holds nothing."""
        if self._source is None:
            if is_warc_path(self.folder):
                found = self.folder.is_file()
                self._source = WarcArchive.load(self.folder) if found else WarcArchive(self.folder)
            else:
                self._source = FixtureFolder.load(self.folder)
        return self._source

    def _recorder(self, inner: httpx.BaseTransport | httpx.AsyncBaseTransport) -> CapturingTransport:
        if is_warc_path(self.folder):
            return _PytestWarcRecording(inner, self.folder)
        source = self._fixtures()
        assert isinstance(source, FixtureFolder)
        return _PytestRecording(inner, source)

    def transport(self) -> httpx.BaseTransport:
        """The sync transport the clients use: replay, or a recorder over the live network."""
        if self.recording:
            return self._recorder(httpx.HTTPTransport())
        return _PytestReplay(self._fixtures())

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """The async transport the async clients use."""
        if self.recording:
            return self._recorder(httpx.AsyncHTTPTransport())
        return _PytestReplay(self._fixtures())

    def client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` over the fixtures (``kwargs`` go to httpx, e.g. ``follow_redirects``)."""
        client = httpx.Client(transport=self.transport(), **kwargs)
        self._clients.append(client)
        return client

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` over the fixtures; use it with ``async with``."""
        return httpx.AsyncClient(transport=self.async_transport(), **kwargs)

    def close(self) -> None:
        """Close the sync clients made for this test."""
        for client in self._clients:
            client.close()
        self._clients.clear()


def _fixtures_path(request: pytest.FixtureRequest) -> Path:
    """The marker's path, else the ini option, resolved against rootdir."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if len(marker.args) != 1 or not isinstance(marker.args[0], str | Path):
            raise pytest.UsageError(
                f'@pytest.mark.{MARKER} takes one path: @pytest.mark.{MARKER}("fixtures/x")'
            )
        value: str | Path = marker.args[0]
    else:
        value = str(request.config.getini(INI_OPTION)) or DEFAULT_FIXTURES
    path = Path(value)
    return path if path.is_absolute() else request.config.rootpath / path


@pytest.fixture
def topicscrape_replay(request: pytest.FixtureRequest) -> Iterator[TopicscrapeReplay]:
    """httpx clients that replay the recorded fixtures (or record them under ``--record-fixtures``)."""
    replay = TopicscrapeReplay(
        _fixtures_path(request), recording=bool(request.config.getoption(RECORD_OPTION))
    )
    yield replay
    replay.close()
