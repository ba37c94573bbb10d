"""The store always keeps a manager: a manager cannot deactivate or demote themselves, and nobody (the CLI
included) can take away the last active manager (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pos.db import db
from pos.errors import DomainError, Forbidden
from pos.models import AuditEntry
from pos.services import staff as staff_service
from pos.services.staff import find_staff

from .helpers import MANAGER_PIN, gen_staff


def _audited(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


@pytest.mark.parametrize(("change", "action"), [
    (lambda m: staff_service.deactivate(m, by=m), "staff.deactivate"),
    (lambda m: staff_service.set_role(m, "clerk", by=m), "staff.role"),
])
def test_a_manager_cannot_deactivate_or_demote_themselves(store, change, action):
    """Even with another manager in the store, a manager's own deactivation or demotion is refused, unchanged."""
    gen_staff("second", "manager", MANAGER_PIN)
    manager = find_staff("manager")
    with pytest.raises(Forbidden) as refused:
        change(manager)
    assert refused.value.code == "own_account"
    db.session.rollback()
    manager = find_staff("manager")
    assert (manager.role, manager.active, _audited(action)) == ("manager", True, 0)


def test_the_last_active_manager_cannot_be_taken_away(store):
    """Without another active manager, the CLI (no acting manager) can neither demote nor deactivate the last one;
    a deactivated manager does not count."""
    gen_staff("former", "manager", MANAGER_PIN)
    staff_service.deactivate(find_staff("former"), by=find_staff("manager"))
    manager = find_staff("manager")
    for change in (lambda: staff_service.set_role(manager, "clerk"), lambda: staff_service.deactivate(manager)):
        with pytest.raises(Forbidden) as refused:
            change()
        assert refused.value.code == "last_manager"
    assert (manager.role, manager.active) == ("manager", True)


def test_a_manager_may_demote_or_deactivate_another(store):
    """With two managers, one demotes the other and deactivates a clerk; the changes are audited by name."""
    second = gen_staff("second", "manager", MANAGER_PIN)
    manager = find_staff("manager")
    staff_service.set_role(second, "clerk", by=manager)
    staff_service.deactivate(find_staff("clerk"), by=manager)
    db.session.commit()
    assert (second.role, find_staff("clerk", include_inactive=True).active) == ("clerk", False)
    assert _audited("staff.role") == _audited("staff.deactivate") == 1


def test_unknown_staff_id_is_not_found(store):
    """A staff id nobody has is a clean not-found."""
    with pytest.raises(DomainError) as refused:
        staff_service.staff_by_id(999_999)
    assert refused.value.status == 404
