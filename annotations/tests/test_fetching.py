"""The one fetcher of URLs people type (import from URL, evidence link checks) refuses what would let a request
reach inside the network, proven against a local server: loopback, private, link-local, multicast and metadata
addresses, also after a redirect, also when a name resolves there; more than 5 redirects; over 5 MB; over the time
limit; a content type that is not a page. The local server is reachable only because a test allows 127.0.0.1."""

import re

import pytest
from django.urls import reverse

from annotations import services
from annotations.domain.vocabulary import LinkStatus, UrlImportStatus
from annotations.fetching import FetchRefused, address_refusal, fetch
from annotations.models import Annotation, Document, EvidenceLink, UrlImport
from annotations.tests.local_site import LOCAL, Handler


def test_a_public_page_is_fetched_and_redirects_are_followed(server):
    page = fetch(f"{server}/moved", allowed_networks=LOCAL)
    assert (page.status, page.final_url, page.content_type) == (200, f"{server}/article", "text/html")
    assert page.redirects == [f"{server}/article"] and b"Dredging" in page.body


@pytest.mark.parametrize(
    ("address", "reason"),
    [("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.10", "private"),
     ("172.16.5.5", "private"), ("169.254.169.254", "metadata"), ("169.254.10.10", "link-local"),
     ("fe80::1", "link-local"), ("224.0.0.251", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"),  # noqa: S104 (an address to refuse)
     ("100.64.0.1", "not a public address"), ("::ffff:127.0.0.1", "loopback"), ("fd00:ec2::254", "metadata")],
)  # fmt: skip
def test_addresses_inside_the_network_are_refused(address, reason):
    assert reason in address_refusal(address)


def test_ipv4_inside_ipv6_transition_addresses_must_be_public_too():
    assert "private" in address_refusal("2002:a00:1::")  # 6to4 of 10.0.0.1
    assert address_refusal("2002:5db8:d70e::") is None  # 6to4 of 93.184.215.14


def test_only_web_ports_are_fetched_unless_the_network_is_allowed(server):
    with pytest.raises(FetchRefused, match="port 22 is not fetched"):
        fetch("http://93.184.215.14:22/")
    assert fetch(f"{server}/article", allowed_networks=LOCAL).status == 200  # an allowed network: any port


def test_an_international_host_name_is_looked_up_in_its_ascii_form():
    asked = []

    def resolver(host, port):
        asked.append(host)
        return ["10.0.0.9"]

    with pytest.raises(FetchRefused, match="private"):
        fetch("https://例え.jp/news", resolver=resolver)
    assert asked == ["xn--r8jz45g.jp"]


def test_public_addresses_are_allowed():
    assert address_refusal("93.184.215.14") is None and address_refusal("2606:4700::1111") is None


def test_the_local_server_itself_is_refused_unless_allowed(server):
    with pytest.raises(FetchRefused, match="loopback"):
        fetch(f"{server}/article")


@pytest.mark.parametrize(
    ("path", "message"),
    [("/to-private", "10.0.0.7 is a private address"), ("/to-metadata", "a cloud metadata address"),
     ("/to-ipv6-loopback", "a loopback address"), ("/to-file", "only http and https")],
)  # fmt: skip
def test_a_redirect_into_the_network_is_refused(server, path, message):
    with pytest.raises(FetchRefused, match=message):
        fetch(f"{server}{path}", allowed_networks=LOCAL)


def test_a_name_that_resolves_inside_is_refused_before_any_connection():
    asked = []

    def resolver(host, port):
        asked.append(host)
        return ["93.184.215.14", "10.0.0.8"]  # one of its addresses is private: the whole name is refused

    with pytest.raises(FetchRefused, match=re.escape("news.example is a private address: not fetched")):
        fetch("https://news.example/story", resolver=resolver)
    assert asked == ["news.example"]


def test_more_than_five_redirects_are_refused(server):
    with pytest.raises(FetchRefused, match="more than 5 times"):
        fetch(f"{server}/loop0", allowed_networks=LOCAL)
    assert fetch(f"{server}/loop2", allowed_networks=LOCAL).final_url == f"{server}/article"  # 5 are fine


def test_a_body_over_the_size_limit_is_refused_whether_declared_or_not(server):
    with pytest.raises(FetchRefused, match="over the 5,242,880-byte limit"):
        fetch(f"{server}/big", allowed_networks=LOCAL)
    with pytest.raises(FetchRefused, match="6,291,456 bytes, over"):
        fetch(f"{server}/big-declared", allowed_networks=LOCAL)


def test_a_slow_page_is_given_up_at_the_time_limit(server):
    with pytest.raises(FetchRefused, match="too long"):
        fetch(f"{server}/slow", allowed_networks=LOCAL, timeout=1)
    assert not Handler.slow_finished  # given up after 1 s of a 3 s page, not after reading it all


def test_a_content_type_that_is_not_a_page_is_refused(server):
    with pytest.raises(FetchRefused, match="application/pdf, not a web page"):
        fetch(f"{server}/pdf", allowed_networks=LOCAL)


@pytest.mark.parametrize(
    ("url", "message"),
    [("ftp://example.org/a", "only http and https"), ("http://user:pw@example.org/", "user name or password"),
     ("http://[zz]/", "not a valid URL"), ("http:///nohost", "no host")],
)  # fmt: skip
def test_urls_that_are_not_plain_web_links_are_refused(url, message):
    with pytest.raises(FetchRefused, match=message):
        fetch(url)


# ---- import from URL --------------------------------------------------------------------------------------


def test_a_member_imports_an_article_from_a_url(api, project, server, settings, django_capture_on_commit_callbacks):
    settings.FETCH_ALLOWED_NETWORKS = LOCAL
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("api-project-url-imports", args=[project.slug]), {"url": f"{server}/moved"},
                            format="json")  # fmt: skip
    assert response.status_code == 202
    job = UrlImport.objects.get()
    assert job.status == UrlImportStatus.DONE and not job.duplicate
    document = Document.objects.get()
    assert document.title == "Dredging finished early" and "14 million euros" in document.body
    assert document.source_url == f"{server}/article" and "<" not in document.body
    polled = api.get(reverse("api-url-import", args=[job.pk])).json()
    assert polled["status"] == "done" and polled["document"]["id"] == document.pk


def test_an_import_from_a_url_the_server_must_not_fetch_fails_with_the_reason(api, project, server, settings):
    settings.FETCH_ALLOWED_NETWORKS = LOCAL
    response = api.post(reverse("api-project-url-imports", args=[project.slug]), {"url": f"{server}/to-metadata"},
                        format="json")  # fmt: skip
    job = UrlImport.objects.get(pk=response.json()["id"])
    if job.status == UrlImportStatus.QUEUED:  # the on-commit hook of a test transaction: run it as the worker would
        job = services.url_import_run(job_id=job.pk)
    assert job.status == UrlImportStatus.FAILED and "metadata" in job.error
    assert not Document.objects.exists()


def test_running_a_url_import_twice_imports_once(project, reviewer, server, settings):
    settings.FETCH_ALLOWED_NETWORKS = LOCAL
    job = UrlImport.objects.create(project=project, url=f"{server}/article", requested_by=reviewer)
    services.url_import_run(job_id=job.pk)
    services.url_import_run(job_id=job.pk)  # a redelivered message
    assert Document.objects.count() == 1


def test_an_outsider_cannot_import_into_or_see_a_desks_url_imports(api_as, outsider, reviewer, project):
    job = UrlImport.objects.create(project=project, url="https://example.org/a", requested_by=reviewer)
    client = api_as(outsider)
    assert client.get(reverse("api-url-import", args=[job.pk])).status_code == 404
    response = client.post(reverse("api-project-url-imports", args=[project.slug]), {"url": "https://example.org/"},
                           format="json")  # fmt: skip
    assert response.status_code == 404


def test_a_url_import_of_a_bad_url_is_a_400(api, project):
    response = api.post(reverse("api-project-url-imports", args=[project.slug]), {"url": "javascript:alert(1)"},
                        format="json")  # fmt: skip
    assert response.status_code == 400
    assert not UrlImport.objects.exists()


# ---- evidence link checks ------------------------------------------------------------------------------


@pytest.fixture
def own_annotation(reviewer, document):
    return Annotation.objects.create(document=document, author=reviewer, start=0, end=3, quote=document.body[:3])


@pytest.mark.link_checks
def test_an_evidence_link_is_checked_and_its_page_kept_as_the_archive_copy(
    api, own_annotation, server, settings, django_capture_on_commit_callbacks
):
    settings.FETCH_ALLOWED_NETWORKS = LOCAL
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("api-annotation-evidence", args=[own_annotation.pk]),
                            {"url": f"{server}/moved", "stance": "supports"}, format="json")  # fmt: skip
    assert response.status_code == 201
    link = EvidenceLink.objects.get()
    assert link.link_status == LinkStatus.REDIRECTED and link.link_final_url == f"{server}/article"
    assert link.link_title == "Dredging finished early" and "14 million euros" in link.link_snapshot
    shown = api.get(reverse("api-annotation", args=[own_annotation.pk])).json()["evidence"][0]["link_check"]
    assert shown["status"] == "redirected" and shown["final_url"] == f"{server}/article"
    snapshot = api.get(reverse("api-evidence-snapshot", args=[link.pk])).json()
    assert "14 million euros" in snapshot["text"]


@pytest.mark.link_checks
@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [("/gone", LinkStatus.BROKEN, "answered 410"), ("/to-private", LinkStatus.REFUSED, "private address"),
     ("/article", LinkStatus.OK, "")],
)  # fmt: skip
def test_a_broken_or_refused_evidence_link_says_so(own_annotation, reviewer, server, settings, path, status, detail):
    settings.FETCH_ALLOWED_NETWORKS = LOCAL
    link = EvidenceLink.objects.create(annotation=own_annotation, url=f"{server}{path}", added_by=reviewer)
    services.evidence_check_link(evidence_id=link.pk)
    link.refresh_from_db()
    assert link.link_status == status and detail in link.link_detail


def test_without_link_checks_nothing_is_fetched(api, own_annotation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api.post(reverse("api-annotation-evidence", args=[own_annotation.pk]), {"url": "https://example.org/x"},
                 format="json")  # fmt: skip
    assert EvidenceLink.objects.get().link_status == ""


def test_a_url_import_that_breaks_unexpectedly_fails_instead_of_hanging(project, reviewer, server, settings,
                                                                        monkeypatch):  # fmt: skip
    settings.FETCH_ALLOWED_NETWORKS = LOCAL
    job = UrlImport.objects.create(project=project, url=f"{server}/article", requested_by=reviewer)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("annotations.services.documents.document_import", broken)
    job = services.url_import_run(job_id=job.pk)
    assert job.status == UrlImportStatus.FAILED and "unexpectedly (RuntimeError)" in job.error


def test_a_page_with_a_bogus_charset_and_nul_characters_is_still_checked(own_annotation, reviewer, server, settings):
    from annotations.tests.local_site import Handler

    settings.FETCH_ALLOWED_NETWORKS = LOCAL
    Handler.routes["/odd"] = (200, {"Content-Type": "text/plain; charset=bogus"}, b"hello\x00 world " * 10)
    link = EvidenceLink.objects.create(annotation=own_annotation, url=f"{server}/odd", added_by=reviewer)
    services.evidence_check_link(evidence_id=link.pk)
    link.refresh_from_db()
    assert link.link_status == LinkStatus.OK and "\x00" not in link.link_snapshot and "hello" in link.link_snapshot


def test_the_sweeper_sends_again_what_never_ran(project, reviewer, own_annotation, settings, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    settings.LINK_CHECKS = True
    sent = []
    monkeypatch.setattr("annotations.services.web.import_url_task.delay", lambda pk: sent.append(("import", pk)))
    monkeypatch.setattr("annotations.services.web.check_evidence_link_task.delay", lambda pk: sent.append(("link", pk)))
    long_ago = timezone.now() - timedelta(hours=1)
    queued = UrlImport.objects.create(project=project, url="https://example.org/a", requested_by=reviewer)
    stuck = UrlImport.objects.create(project=project, url="https://example.org/b", requested_by=reviewer,
                                     status=UrlImportStatus.FETCHING)  # fmt: skip
    fresh = UrlImport.objects.create(project=project, url="https://example.org/c", requested_by=reviewer)
    UrlImport.objects.filter(pk__in=[queued.pk, stuck.pk]).update(created_at=long_ago, started_at=long_ago)
    link = EvidenceLink.objects.create(annotation=own_annotation, url="https://example.org/d", added_by=reviewer)
    EvidenceLink.objects.filter(pk=link.pk).update(added_at=long_ago)
    assert services.fetches_sweep() == 3
    assert sorted(sent) == sorted([("import", queued.pk), ("import", stuck.pk), ("link", link.pk)])
    assert fresh.pk not in [pk for _, pk in sent]
