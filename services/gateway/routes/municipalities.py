"""Municipalities and API tokens (admin)."""
from flask import current_app
from flask_smorest import Blueprint

from ..http import actor, call, json_body
from ..openapi import body

blp = Blueprint("municipalities", __name__, url_prefix="/api/v1", description="Municipalities and tokens")


@blp.route("/municipalities", methods=["GET"])
def list_municipalities():
    """Every municipality, with its hierarchy (parent)."""
    return call("plan_registry", "list_municipalities", actor())


@blp.route("/municipalities/<mid>", methods=["GET"])
def get_municipality(mid):
    return call("plan_registry", "get_municipality", actor(), mid)


@blp.route("/municipalities/<mid>", methods=["PUT"])
@blp.doc(**body("Municipality"))
def put_municipality(mid):
    """Create (201) or replace (200) a municipality (admin)."""
    result = call("plan_registry", "put_municipality", actor(), mid, json_body())
    return result["municipality"], 201 if result["created"] else 200


@blp.route("/tokens", methods=["POST"])
@blp.doc(**body("TokenRequest"))
def issue_token():
    """Issue a token (admin). The token is shown once, in this answer, and stored only as a hash."""
    return call("plan_registry", "issue_token", actor(), json_body()), 201


@blp.route("/tokens", methods=["GET"])
def list_tokens():
    """Issued tokens without their values (admin)."""
    return call("plan_registry", "list_tokens", actor())


@blp.route("/tokens/<token_id>", methods=["DELETE"])
def revoke_token(token_id):
    """Revoke a token at once (admin)."""
    call("plan_registry", "revoke_token", actor(), token_id)
    current_app.extensions["ortak_cache"].forget_actor(tag=("token", token_id))
    return "", 204
