"""Who may change the directory (DESIGN section 6, "Access").

ADMIN may change everything; a COORDINATOR their own community and its mentors; STAFF their own
centre's mentors and demand; PARTNER apps and anonymous clients nothing."""

from __future__ import annotations

from hub.access.auth import Viewer
from hub.core import Forbidden
from models.enums import Role


def require_admin(viewer: Viewer, *, action: str) -> None:
    if not viewer.is_admin:
        raise Forbidden(f"only admins may {action}")


def _refusal(viewer: Viewer, action: str) -> Forbidden:
    if viewer.role is Role.STAFF:
        return Forbidden(f"staff may {action} only for their own centre")
    if viewer.role is Role.COORDINATOR:
        return Forbidden(f"coordinators may {action} only for their own community")
    if viewer.role is Role.PARTNER:
        return Forbidden(f"partner apps read the graph and may not {action}")
    return Forbidden(f"sign in as staff, a coordinator or an admin to {action}")


def require_home(
    viewer: Viewer, *, centre_id: int | None, community_id: int | None, action: str
) -> None:
    """Admins, STAFF of `centre_id` and COORDINATORs of `community_id` pass; others are refused."""
    if viewer.is_admin or viewer.acts_for(centre_id=centre_id, community_id=community_id):
        return
    raise _refusal(viewer, action)
