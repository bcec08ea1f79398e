"""The OpenAPI document, written by flask-smorest from the API's routes and schemas (never by
hand), and the docs page that shows it. The document is made on first use, once the app has
every route; the Api object is bound when the API blueprint is registered."""

import threading

from flask import Flask, current_app, render_template
from flask_smorest import Api

from app.api.blueprint import bp, pages
from app.api.schemas import Money

OPENAPI_VERSION = "3.0.3"
API_VERSION = "1.0"
_SPEC_KEY = "finance_api_document"
_making = threading.Lock()


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
        with _making:  # two first requests at once must not add the routes to the document twice
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


def _resolved(spec: dict, node: dict) -> dict:
    ref = node.get("$ref")
    if not ref:
        return node
    kind, name = ref.split("/")[-2:]
    return spec.get("components", {}).get(kind, {}).get(name, node)


def _responses(spec: dict, op: dict) -> list[dict]:
    found = []
    for code, answer in sorted(op.get("responses", {}).items(), key=lambda pair: (pair[0] == "default", pair[0])):
        answer = _resolved(spec, answer)
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        found.append({"code": code, "text": answer.get("description", ""), "schema": _name(schema.get("$ref"))})
    return found


def _body(spec: dict, op: dict) -> list[dict]:
    """The request body's kinds and fields (the upload's file)."""
    found = []
    for kind, content in op.get("requestBody", {}).get("content", {}).items():
        schema = _resolved(spec, content.get("schema", {}))
        found.append({"kind": kind, "fields": list(schema.get("properties", {}))})
    return found


def operations(spec: dict) -> list[dict]:
    """The document's operations, flattened for the docs page."""
    found = []
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            parameters = [{**p, "where": p.get("in")} for p in [*item.get("parameters", []), *op.get("parameters", [])]]
            found.append(
                {
                    "method": method,
                    "path": path,
                    "anchor": path.strip("/").replace("/", "-").replace("{", "").replace("}", ""),
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": parameters,
                    "body": _body(spec, op),
                    "responses": _responses(spec, op),
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
