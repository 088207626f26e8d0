from .tenancy import membership_of


def organization(request) -> dict:
    membership = membership_of(getattr(request, "user", None))
    return {
        "current_org": membership.organization if membership else None,
        "is_org_admin": bool(membership and membership.is_admin),
    }
