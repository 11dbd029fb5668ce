"""Who may do what in the workspace: roles, and the capabilities each carries.

Every workspace route names the one capability it needs (`web/admin/guard.py`), and
`tests/test_admin_routes.py` checks every route against every role.
"""

from __future__ import annotations

import enum

from campaign_engine.models.workspace import Role, Staff


class Capability(enum.StrEnum):
    READ = "read"  # see cases, actions, targets, dashboards and delivery reports
    TRANSLATE = "translate"  # edit the translations of cases and actions
    CAMPAIGN = "campaign"  # create and edit cases, actions and targets; send updates
    EXPORT = "export"  # download supporters' data
    MANAGE_TEAM = "manage_team"  # invite campaigners, change roles; read the audit log
    # Partners' allowed origins and keys decide who may frame the widget and post signatures
    # from a browser: an organisation's decision, like its team.
    MANAGE_PARTNERS = "manage_partners"


CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.VIEWER: frozenset({Capability.READ}),
    Role.TRANSLATOR: frozenset({Capability.READ, Capability.TRANSLATE}),
    Role.CAMPAIGNER: frozenset(
        {Capability.READ, Capability.TRANSLATE, Capability.CAMPAIGN, Capability.EXPORT}
    ),
    Role.ADMIN: frozenset(Capability),
    Role.OWNER: frozenset(Capability),
}

# Those who can change who may do what must prove it twice: a stolen password alone must not
# hand over the workspace (reliability.md, T5: campaigners are phished by states).
SECOND_FACTOR_REQUIRED = frozenset({Role.OWNER, Role.ADMIN})


def may(staff: Staff, capability: Capability) -> bool:
    return capability in CAPABILITIES[staff.role]


def needs_second_factor(role: Role) -> bool:
    return role in SECOND_FACTOR_REQUIRED


def may_manage(actor: Staff, role: Role) -> bool:
    """Whether the actor may give (or take away) this role: only owners handle owners."""
    return may(actor, Capability.MANAGE_TEAM) and (
        role is not Role.OWNER or actor.role is Role.OWNER
    )
