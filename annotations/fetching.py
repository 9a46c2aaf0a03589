"""The one way the server fetches a URL someone typed (an article to import, an evidence link to check), safe
against server-side request forgery.

Every hop, the first and each redirect: the scheme is http or https, the URL holds no credentials, the host is
resolved first and **every** address it resolves to must be public (not loopback, private, link-local,
carrier-grade NAT, multicast, reserved, unspecified or a cloud metadata address, IPv4-mapped IPv6 included); the
connection then goes to the address that was checked (pinned: a DNS answer that changes between the check and the
connect cannot redirect it), with TLS still verified against the host name. At most ``max_redirects`` redirects,
``max_bytes`` of body, ``timeout`` seconds in all, and a content type from ``accept``. Anything else raises
``FetchRefused`` with a reason a person can read.

urllib3 does the HTTP (it is already installed with the stack, maintained, and lets us connect to a pinned address
while verifying the certificate for the name); the address policy is ours, in ``address_refusal``.
"""

import codecs
import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3

USER_AGENT = "factcheck/1 (+link check; a newsroom's fact-checking desk)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = (*HTML_TYPES, "text/plain")
# Cloud metadata endpoints that are not covered by "not global" everywhere (some are in public-looking ranges).
METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "100.100.100.200", "192.0.0.192", "fd00:ec2::254")}

Resolver = Callable[[str, int], list[str]]


class FetchRefused(Exception):
    """The URL was not fetched, or its answer not accepted; the message says why."""


@dataclass(frozen=True)
class Fetched:
    url: str  # what was asked for
    final_url: str  # after redirects
    status: int
    content_type: str
    charset: str | None
    body: bytes
    redirects: list[str] = field(default_factory=list)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchRefused(f"the host {host!r} cannot be found ({exc})") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def address_refusal(address: str, allowed: Iterable[ipaddress._BaseNetwork] = ()) -> str | None:
    """Why the server must not connect to ``address`` (None: it may). ``allowed`` networks are exempt
    (a deployment's own trusted range; the tests' local server)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed):
        return None
    if isinstance(ip, ipaddress.IPv6Address):  # IPv4 carried inside IPv6 (6to4, Teredo) must be public too
        for embedded in (ip.sixtofour, ip.teredo[1] if ip.teredo else None):
            if embedded is not None and (reason := address_refusal(str(embedded))):
                return reason
    if ip in METADATA:
        return "a cloud metadata address"
    for test, what in (  # (the address is named in no message: members read them)
        (ip.is_loopback, "a loopback address"), (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"), (ip.is_unspecified, "an unspecified address"),
        (ip.is_private, "a private address"), (ip.is_reserved, "a reserved address"),
    ):  # fmt: skip
        if test:
            return what
    if not ip.is_global:
        return "not a public address"
    return None


def fetch(
    url: str,
    *,
    accept: tuple[str, ...] = TEXT_TYPES,
    max_bytes: int = 5 * 1024 * 1024,
    timeout: float = 10.0,
    max_redirects: int = 5,
    allowed_networks: Iterable[str] = (),
    allowed_ports: Iterable[int] = (80, 443, 8080, 8443),
    resolver: Resolver = system_resolver,
) -> Fetched:
    """GET ``url`` under the rules of this module's docstring."""
    allowed = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]
    ports = set(allowed_ports)
    deadline = time.monotonic() + timeout
    current, redirects = url, []
    for _ in range(max_redirects + 1):
        scheme, host, port, path = _check_url(current)
        address = _vetted_address(host, port, allowed, resolver)
        if port not in ports and not any(ipaddress.ip_address(address) in network for network in allowed):
            raise FetchRefused(f"{host}: port {port} is not fetched (only {', '.join(map(str, sorted(ports)))})")
        response = _request(scheme, host, port, path, address, accept, deadline)
        try:
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("Location")
                if not location:
                    raise FetchRefused(f"{current} redirects ({response.status}) without saying where")
                current = urljoin(current, location.strip())
                redirects.append(current)
                continue
            content_type, charset = _content_type(response.headers.get("Content-Type", ""))
            if response.status < 400 and content_type not in accept:
                raise FetchRefused(f"{current} is {content_type or 'of no stated type'}, not a web page or text")
            body = _read(response, max_bytes, deadline, current)
            return Fetched(url=url, final_url=current, status=response.status, content_type=content_type,
                           charset=charset, body=body, redirects=redirects)  # fmt: skip
        finally:
            response.release_conn()
    raise FetchRefused(f"{url} redirects more than {max_redirects} times")


def _check_url(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchRefused(f"{url[:200]!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchRefused(f"only http and https links are fetched, not {scheme or 'a relative URL'}")
    if parts.username or parts.password:
        raise FetchRefused("links with a user name or password in them are not fetched")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchRefused(f"{url[:200]!r} has no host")
    try:
        host = host.encode("idna").decode("ascii")  # 例え.jp → xn--r8jz45g.jp: what DNS and the Host header carry
    except UnicodeError:
        raise FetchRefused(f"{host[:100]!r} is not a valid host name") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or (443 if scheme == "https" else 80), path


def _vetted_address(host: str, port: int, allowed, resolver: Resolver) -> str:
    try:
        addresses = [str(ipaddress.ip_address(host))]  # an address literal
    except ValueError:
        addresses = resolver(host, port)
    if not addresses:
        raise FetchRefused(f"the host {host!r} has no address")
    for address in addresses:  # all of them: a name that also points inside is refused whatever the order
        if reason := address_refusal(address, allowed):
            raise FetchRefused(f"{host} is {reason}: not fetched")  # the address itself stays out of messages
    return addresses[0]


def _request(scheme, host, port, path, address, accept, deadline) -> urllib3.BaseHTTPResponse:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchRefused("the site took too long to answer")
    default_port = 443 if scheme == "https" else 80
    name = f"[{host}]" if ":" in host else host  # an IPv6 literal
    headers = {
        "Host": name if port == default_port else f"{name}:{port}", "User-Agent": USER_AGENT,
        "Accept": ", ".join(accept) + ";q=1, */*;q=0.1", "Accept-Encoding": "identity",
    }  # fmt: skip
    timeout = urllib3.Timeout(connect=min(left, 5.0), read=left)
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            port,
            timeout=timeout,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            server_hostname=host,
            assert_hostname=host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    try:
        return pool.urlopen("GET", path, headers=headers, redirect=False, preload_content=False, assert_same_host=False)
    except urllib3.exceptions.SSLError as exc:
        raise FetchRefused(f"{host}: the TLS certificate could not be verified ({exc.__class__.__name__})") from None
    except urllib3.exceptions.TimeoutError:
        raise FetchRefused(f"{host} took too long to answer") from None
    except urllib3.exceptions.HTTPError as exc:
        raise FetchRefused(f"{host} cannot be reached ({exc.__class__.__name__})") from None


def _content_type(header: str) -> tuple[str, str | None]:
    kind, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    try:
        charset = codecs.lookup(charset).name if charset else None
    except LookupError:  # charset=bogus: read it as UTF-8
        charset = None
    return kind.strip().lower(), charset


def _read(response, max_bytes: int, deadline: float, url: str) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused(f"{url} is {int(declared):,} bytes, over the {max_bytes:,}-byte limit")
    chunks, size = [], 0
    try:
        while chunk := response.read1(64 * 1024):  # what has arrived: a trickling server meets the deadline
            size += len(chunk)
            if size > max_bytes:
                raise FetchRefused(f"{url} is over the {max_bytes:,}-byte limit")
            if time.monotonic() > deadline:
                raise FetchRefused(f"{url} took too long to download")
            chunks.append(chunk)
    except urllib3.exceptions.TimeoutError:
        raise FetchRefused(f"{url} took too long to download") from None
    except urllib3.exceptions.HTTPError as exc:
        raise FetchRefused(f"{url}: the download broke off ({exc.__class__.__name__})") from None
    return b"".join(chunks)
