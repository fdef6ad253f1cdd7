"""/api/v1/docs: the API's reference, read from its OpenAPI document and rendered here
(no script, no CDN: the same page for every reader, in their language around it)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from crowdfund.api.core import PREFIX

bp = Blueprint("api", __name__, url_prefix=PREFIX)

METHODS = ("get", "post", "put", "patch", "delete")


def document() -> dict:
    """The OpenAPI document as served at /api/v1/openapi.json."""
    return current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()


def _operations(spec: dict) -> list[dict]:
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                found.append({"method": method.upper(), "path": path, **operation,
                              "anchor": f"{method}-{path.strip('/').replace('/', '-')}"
                              .replace("{", "").replace("}", "")})
    return found


@bp.get("/docs")
def docs():
    spec = document()
    return render_template("api/docs.html", spec=spec, operations=_operations(spec),
                           schemas=spec.get("components", {}).get("schemas", {}))
