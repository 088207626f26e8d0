"""The API's OpenAPI description of its errors, and OPTIONS for views without a serializer.

Every operation documents the errors it can answer (CONTRACT §3), in the shape
orgs.api.exception_handler gives them, so clients and schemathesis can hold the API to its
schema: 401 without a valid token, 403 for the wrong role, 404 for an id that is not the
caller's (or a page past the end), 400 for bad input, 409 when a write conflicts with the
current state, 413 for an oversized body, 415 for a body it cannot read, 429 when rate limited."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.metadata import SimpleMetadata

DETAIL = inline_serializer("ErrorDetail", {"detail": serializers.CharField()})
ERRORS = {
    "400": ("Bad input: each bad field named, with what is wrong with it.", OpenApiTypes.OBJECT),
    "401": ("No token, or a bad one.", DETAIL),
    "403": ("The caller's role may not do this.", DETAIL),
    "404": ("No such object in the caller's organization (or no such page).", DETAIL),
    "409": ("The write conflicts with the object's current state; nothing was changed.", OpenApiTypes.OBJECT),
    "413": ("The request body is larger than allowed.", OpenApiTypes.OBJECT),
    "415": ("The request body is not of a media type this operation reads.", DETAIL),
    "429": ("Too many requests; retry after the Retry-After header's seconds.", DETAIL),
}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


class ApiSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None:
            for code in self._error_codes(operation):
                description, body = ERRORS[code]
                operation["responses"].setdefault(code, self._get_response_for_code(OpenApiResponse(body, description), code))
        return operation

    def _error_codes(self, operation: dict) -> list[str]:
        view = self.view
        checks = [p for p in view.permission_classes if isinstance(p, type)]
        roles = [p for p in checks if not issubclass(p, (permissions.AllowAny, permissions.IsAuthenticated))]
        locations = {p["in"] for p in operation.get("parameters", [])}
        body = "requestBody" in operation
        wanted = {
            "400": body or "query" in locations,
            "401": not any(issubclass(p, permissions.AllowAny) for p in checks),
            "403": bool(roles),
            "404": "path" in locations or any(p["name"] == "page" for p in operation.get("parameters", [])),
            "409": self.method in WRITES and bool(roles),
            "413": body,
            "415": body,
            "429": bool(view.get_throttles()),
        }
        return [code for code, applies in wanted.items() if applies]


class ApiMetadata(SimpleMetadata):
    """OPTIONS describes the input of views that name a serializer class; views that parse
    their own input are described without it, where DRF's default would fail with a 500."""

    def determine_actions(self, request, view) -> dict:
        if getattr(view, "serializer_class", None) is None:
            return {}
        return super().determine_actions(request, view)
