"""Errors services raise; the API maps them to status codes (orgs.api.exception_handler)."""


class ServiceError(Exception):
    status_code = 400

    def __init__(self, detail) -> None:
        super().__init__(detail)
        self.detail = detail


class Invalid(ServiceError):
    status_code = 400


class Conflict(ServiceError):
    status_code = 409
