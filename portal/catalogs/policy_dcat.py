"""The policy library in `/data.json`: each policy a DCAT-US dataset whose distributions are
its current version's text (Markdown) and the original document (PDF, Word or Markdown)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.catalogs.files import DEFAULT_PUBLISHER, publisher
from portal.models import Dataset
from portal.policies import library
from portal.policies.models import EXTENSIONS, PDF, Policy, PolicyVersion

FORMATS = {".md": "Markdown", ".pdf": "PDF", ".docx": "DOCX", ".html": "HTML"}


def policy_entries(session: Session, base_url: str, datasets: list[Dataset]) -> list[dict]:
    """A DCAT-US dataset entry per policy with a version in force or to come (not withdrawn)."""
    entries = []
    for policy in library.policies(session):
        latest = library.current(session, policy)
        if latest is None:
            continue  # every version withdrawn: nothing to download
        published = [v for v in library.public_versions(session, policy)]
        governed = [d for d in datasets if policy.slug in (d.meta.get("policies") or [])]
        entries.append(_entry(policy, latest, published, governed, base_url))
    return entries


def _entry(
    policy: Policy,
    latest: PolicyVersion,
    published: list[PolicyVersion],
    governed: list[Dataset],
    base_url: str,
) -> dict:
    name, email = publisher(governed[0]) if governed else (DEFAULT_PUBLISHER, None)
    contact = {"@type": "vcard:Contact", "fn": name}
    if email:
        contact["hasEmail"] = f"mailto:{email}"
    page = f"{base_url}/policies/{policy.slug}/"
    number = f"Policy {policy.number}: " if policy.number else "Policy: "
    first = min(published, key=lambda v: v.published_at)
    entry = {
        "@type": "dcat:Dataset",
        "title": f"{number}{policy.title}",
        "description": (policy.description or f"The department's {policy.title} policy.").strip()
        + f" Version {latest.number}, in effect from {latest.effective_on.isoformat()}:"
        f" {latest.summary or ''}".rstrip(),
        "keyword": ["policy", policy.title.lower()],
        "modified": latest.published_at.isoformat(timespec="seconds"),
        "issued": first.published_at.isoformat(timespec="seconds"),
        "publisher": {"@type": "org:Organization", "name": name},
        "contactPoint": contact,
        "identifier": page,
        "accessLevel": "public",
        "landingPage": page,
        "references": [f"{base_url}/datasets/{d.slug}/" for d in governed] or None,
        "distribution": _distributions(policy, latest, base_url),
    }
    return {key: value for key, value in entry.items() if value is not None}


def _distributions(policy: Policy, version: PolicyVersion, base_url: str) -> list[dict]:
    folder = f"{base_url}/policies/{policy.slug}/v{version.number}/"
    extension = EXTENSIONS.get(version.original_media_type, ".bin")
    kind = "PDF" if version.original_media_type == PDF else FORMATS.get(extension, "file")
    return [
        {
            "@type": "dcat:Distribution",
            "title": f"{policy.title}, version {version.number}: text",
            "description": "The policy's text as Markdown, extracted from the original document. "
            f"SHA-256 {version.text_sha256}.",
            "downloadURL": f"{folder}{version.text_file}",
            "mediaType": "text/markdown",
            "format": "Markdown",
        },
        {
            "@type": "dcat:Distribution",
            "title": f"{policy.title}, version {version.number}: original document",
            "description": f"The document as the department issued it ({kind}). "
            f"SHA-256 {version.original_sha256}.",
            "downloadURL": f"{folder}{version.original_file}",
            "mediaType": version.original_media_type,
            "format": kind,
        },
    ]
