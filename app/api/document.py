"""The OpenAPI document, written by flask-smorest from the API's routes and schemas (never by
hand), and the docs page that shows it. The document is made on first use, once the app has
every route; the Api object is bound when the API blueprint is registered."""

from flask import Flask, current_app, render_template
from flask_smorest import Api

from app.api.blueprint import bp, pages
from app.api.schemas import Money

OPENAPI_VERSION = "3.0.3"
API_VERSION = "1.0"
_SPEC_KEY = "finance_api_document"


class FinanceApi(Api):
    """flask-smorest's Api for the document only: the document is served by the pages below, and
    errors keep the site's own handlers (the API blueprint has its JSON handler, views.py)."""

    def _register_doc_blueprint(self):
        pass

    def _register_error_handlers(self):
        pass


@bp.record_once
def _bind(state) -> None:
    api = FinanceApi(
        spec_kwargs={
            "title": "Social work allowance: finance API",
            "version": API_VERSION,
            "openapi_version": OPENAPI_VERSION,
            "info": {
                "description": (
                    "Locked allowance runs and their lines, payment batches and payments, and the upload "
                    "of bank return files. Every call carries `Authorization: Bearer <token>`; an admin "
                    "makes the token. Amounts are strings with two decimals. Lists are paginated."
                )
            },
            "security": [{"bearerAuth": []}],
        }
    )
    api.register_field(Money, "string", "decimal")
    api.init_app(state.app)
    state.app.extensions["flask-smorest"]["blp_name_to_api"][bp.name] = api
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})


def document(app: Flask) -> dict:
    spec = app.extensions.get(_SPEC_KEY)
    if spec is None:
        api = app.extensions["flask-smorest"]["blp_name_to_api"][bp.name]
        bp.register_views_in_doc(api, app, api.spec, name=bp.name, parameters=None)
        api.spec.tag({"name": bp.name, "description": bp.description})
        spec = app.extensions[_SPEC_KEY] = api.spec.to_dict()
    return spec


@pages.route("/api/openapi.json")
def openapi_json():
    return document(current_app)


def _name(ref: str | None) -> str | None:
    return ref.rsplit("/", 1)[-1] if ref else None


def operations(spec: dict) -> list[dict]:
    """The document's operations, flattened for the docs page."""
    found = []
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = []
            for code, answer in op.get("responses", {}).items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                text = answer.get("description") or _name(answer.get("$ref"))
                responses.append({"code": code, "text": text, "schema": _name(schema.get("$ref"))})
            parameters = [{**p, "where": p.get("in")} for p in [*item.get("parameters", []), *op.get("parameters", [])]]
            found.append(
                {
                    "method": method,
                    "path": path,
                    "anchor": path.strip("/").replace("/", "-").replace("{", "").replace("}", ""),
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": parameters,
                    "responses": responses,
                }
            )
    return found


@pages.route("/api/docs")
def api_docs():
    spec = document(current_app)
    return render_template(
        "api/docs.html",
        spec=spec,
        operations=operations(spec),
        schemas=spec.get("components", {}).get("schemas", {}),
    )
