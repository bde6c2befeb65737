"""`/api/v1/policies`: the policy library as JSON, the twin of `/policies/`."""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import Schema, fields

from portal.api.blueprint import api
from portal.api.http import ApiError, error_response, name_or_404, payload
from portal.extensions import db_session, portal
from portal.models import utcnow
from portal.policies import library
from portal.policies.library import UnknownPolicy
from portal.policies.links import governed_datasets
from portal.policies.models import Policy, PolicyStatus, PolicyVersion


class PolicyFileSchema(Schema):
    name = fields.String(metadata={"description": "text.md, or original.pdf / .docx / .md"})
    media_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    url = fields.String()


class PolicyVersionSummarySchema(Schema):
    number = fields.Integer()
    effective_on = fields.Date(metadata={"description": "the day this version takes effect"})
    published_at = fields.DateTime()
    summary = fields.String(allow_none=True, metadata={"description": "summary of changes"})
    retracted_at = fields.DateTime(allow_none=True)
    retraction_reason = fields.String(allow_none=True)
    url = fields.String(metadata={"description": "the version's citable page"})
    files = fields.List(fields.Nested(PolicyFileSchema))


class PolicyVersionSchema(PolicyVersionSummarySchema):
    policy = fields.String(metadata={"description": "the policy's short name"})
    text = fields.String(allow_none=True, metadata={"description": "Markdown; null if retracted"})
    approved_by = fields.String(allow_none=True)


class DatasetLinkSchema(Schema):
    slug = fields.String()
    title = fields.String()
    url = fields.String()


class PolicySchema(Schema):
    slug = fields.String()
    number = fields.String()
    title = fields.String()
    description = fields.String()
    url = fields.String()
    in_effect = fields.Integer(
        allow_none=True, metadata={"description": "version number in effect today"}
    )
    datasets = fields.List(
        fields.Nested(DatasetLinkSchema), metadata={"description": "the datasets it governs"}
    )
    versions = fields.List(fields.Nested(PolicyVersionSummarySchema))


class PolicyListSchema(Schema):
    policies = fields.List(fields.Nested(PolicySchema))
    count = fields.Integer()


def _base() -> str:
    return portal().config.base_url


def version_data(policy: Policy, version: PolicyVersion, full: bool = False) -> dict[str, Any]:
    url = f"{_base()}/policies/{policy.slug}/v{version.number}/"
    media = {version.text_file: "text/markdown", version.original_file: version.original_media_type}
    withdrawn = version.status == PolicyStatus.RETRACTED
    data = {
        "number": version.number,
        "effective_on": version.effective_on,
        "published_at": version.published_at,
        "summary": version.summary,
        "retracted_at": version.retracted_at,
        "retraction_reason": version.retraction_reason,
        "url": url,
        "files": [
            {**f, "media_type": media[f["name"]], "url": f"{url}{f['name']}"}
            for f in version.files()
        ],
    }
    if full:
        data |= {
            "policy": policy.slug,
            "text": None if withdrawn else version.text,
            "approved_by": version.approved_by_label,
        }
    return data


def policy_data(policy: Policy) -> dict[str, Any]:
    versions = library.public_versions(db_session(), policy)
    effective = library.in_effect(versions, utcnow().date())
    return {
        "slug": policy.slug,
        "number": policy.number,
        "title": policy.title,
        "description": policy.description,
        "url": f"{_base()}/policies/{policy.slug}/",
        "in_effect": effective.number if effective else None,
        "datasets": [
            {"slug": d.slug, "title": d.title, "url": f"{_base()}/datasets/{d.slug}/"}
            for d in governed_datasets(portal().definitions, policy.slug)
        ],
        "versions": [version_data(policy, v) for v in versions],
    }


def _policy(slug: str) -> Policy:
    name_or_404(slug, "policy")
    try:
        found = library.get_policy(db_session(), slug)
    except UnknownPolicy:
        found = None
    if found is None or not library.public_versions(db_session(), found):
        raise ApiError(404, f"there is no published policy named {slug!r}")
    return found


@api.get("/policies")
def policies() -> Response:
    found = [policy_data(p) for p in library.policies(db_session())]
    return payload(PolicyListSchema(), {"policies": found, "count": len(found)})


@api.get("/policies/<slug>")
def policy(slug: str) -> Response:
    return payload(PolicySchema(), policy_data(_policy(slug)))


@api.get("/policies/<slug>/v<int:number>")
def policy_version(slug: str, number: int) -> Response:
    found = _policy(slug)
    shown = library.version(db_session(), found, number)
    if shown is None:
        raise ApiError(404, f"{found.title} has no version {number}")
    if shown.status == PolicyStatus.RETRACTED:
        return error_response(
            410, f"Version {number} of {found.title} was withdrawn: {shown.retraction_reason}"
        )
    return payload(PolicyVersionSchema(), version_data(found, shown, full=True))
