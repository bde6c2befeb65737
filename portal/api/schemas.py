"""marshmallow schemas of every API payload."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from portal.datasets import texts
from portal.datasets.freshness import dataset_freshness
from portal.extensions import db_session, storage
from portal.figures.service import shown
from portal.models import utcnow
from portal.policies import library


class FileSchema(Schema):
    filename = fields.String()
    resource = fields.String(attribute="resource_name", allow_none=True)
    media_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    rows = fields.Integer(attribute="row_count", allow_none=True)
    url = fields.Method("_url")
    # A retracted version's files answer 410 Gone with the notice.
    withdrawn = fields.Function(lambda f: f.version.retracted_at is not None)

    def _url(self, file: Any) -> str:
        base = self.context_base()
        return f"{base}/datasets/{file.version.dataset.slug}/v{file.version.number}/{file.filename}"

    def context_base(self) -> str:
        return getattr(self, "base_url", "")


class VersionSchema(Schema):
    number = fields.Integer()
    published_at = fields.DateTime()
    note = fields.String(allow_none=True)
    retracted_at = fields.DateTime(allow_none=True)
    retraction_reason = fields.String(allow_none=True)
    figures = fields.Method("_figures")
    files = fields.Method("_files")

    def _figures(self, version: Any) -> list:
        # The figures as every page shows them (declared in dataset.yaml, portal.figures).
        return shown(version, storage())

    def _files(self, version: Any) -> list:
        schema = FileSchema(many=True)
        schema.base_url = getattr(self, "base_url", "")
        return schema.dump(version.files)


class ResourceSchema(Schema):
    name = fields.String()
    title = fields.String()
    table_schema = fields.Dict(data_key="schema")
    # The table's title, description, field words and category words in every language
    # (`{en: {…}, es: {…}}`); codes and field names themselves stay language-neutral.
    labels = fields.Function(
        lambda r: texts.resource_labels_by_language(r.dataset.meta, r.name, r.table_schema),
        metadata={"description": "words per language: title, description, fields, categories"},
    )


class DatasetSummarySchema(Schema):
    slug = fields.String()
    title = fields.String()
    family = fields.String()
    description = fields.Function(lambda d: d.meta.get("description", ""))
    keywords = fields.Function(lambda d: d.meta.get("keywords", []))
    update_frequency = fields.Function(lambda d: d.meta.get("update_frequency"))
    current_version = fields.Function(
        lambda d: d.current_version.number if d.current_version else None
    )
    last_published = fields.Function(
        lambda d: d.current_version.published_at.isoformat() if d.current_version else None
    )
    # Last published, next expected and overdue against the declared cadence
    # (portal.datasets.freshness).
    freshness = fields.Function(lambda d: dataset_freshness(d, utcnow()).as_dict())
    url = fields.Method("_url")
    # Set when every version was retracted: {"at", "reason", "notice"}; null while live.
    withdrawn = fields.Method("_withdrawn", allow_none=True)

    def _url(self, dataset: Any) -> str:
        return f"{getattr(self, 'base_url', '')}/api/v1/datasets/{dataset.slug}"

    def _withdrawn(self, dataset: Any) -> dict | None:
        found = getattr(self, "withdrawals", {}).get(dataset.id)
        if found is None:
            return None
        return {"at": found.at.isoformat(), "reason": found.reason, "notice": found.notice}


class AboutSchema(Schema):
    """The page's "About this dataset" box, as data (portal.catalogs.about)."""

    licence = fields.String(allow_none=True)
    licence_url = fields.String(allow_none=True)
    coverage_start = fields.String(allow_none=True, metadata={"description": "YYYY-MM-DD"})
    coverage_end = fields.String(allow_none=True, metadata={"description": "YYYY-MM-DD"})
    update_frequency = fields.String()
    next_expected = fields.String(allow_none=True, metadata={"description": "YYYY-MM-DD"})
    publisher = fields.String()
    contact_name = fields.String()
    contact_email = fields.String(allow_none=True)
    contact_url = fields.String(allow_none=True)
    citation = fields.String()
    citation_url = fields.String()


class DatasetSchema(DatasetSummarySchema):
    # title, description, methodology and caveats per language, `{en: {…}, es: {…}}`
    labels = fields.Function(
        lambda d: texts.dataset_labels_by_language(d.meta),
        metadata={"description": "the dataset's texts per language"},
    )
    methodology = fields.Function(lambda d: d.meta.get("methodology", ""))
    caveats = fields.Function(lambda d: d.meta.get("caveats", ""))
    license = fields.Function(lambda d: d.meta.get("license"))
    publisher = fields.Function(lambda d: d.meta.get("publisher"))
    resources = fields.Nested(ResourceSchema, many=True)
    version = fields.Method("_version")
    about = fields.Method("_about")
    policies = fields.Method(
        "_policies",
        metadata={
            "description": "the department's policies that govern the data (dataset.yaml "
            "`policies:`): slug, title, page and the version in effect today"
        },
    )

    def _policies(self, dataset: Any) -> list[dict]:
        found = library.by_slugs(db_session(), list(dataset.meta.get("policies") or []))
        base, today = getattr(self, "base_url", ""), utcnow().date()
        listed = []
        for policy in found:
            effective = library.in_effect(policy.versions, today)
            if not any(v.public for v in policy.versions):
                continue
            listed.append(
                {
                    "slug": policy.slug,
                    "title": policy.title,
                    "url": f"{base}/policies/{policy.slug}/",
                    "in_effect": effective.number if effective else None,
                }
            )
        return listed

    def _about(self, dataset: Any) -> dict | None:
        found = getattr(self, "about", None)
        return AboutSchema().dump(found.as_dict()) if found else None

    def _version(self, dataset: Any) -> dict:
        schema = VersionSchema()
        schema.base_url = getattr(self, "base_url", "")
        return schema.dump(dataset.current_version)


def dump(schema: Schema, obj: Any, base_url: str) -> Any:
    schema.base_url = base_url
    return schema.dump(obj)
