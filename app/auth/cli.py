"""Commands for organisations, groups, users, party bindings and API tokens."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import select

from app import clock
from app.auth import service
from app.auth.models import ApiToken, Group, Organisation, OrganisationKind, Role, User
from app.auth.tokens import ALL_SCOPES, create_token, revoke_token
from app.clikit import Command, Env, echo_json, handle_errors, pass_env


@click.group()
def organisations() -> None:
    """Organisaties (gemeente-afdelingen, corporaties, wijkteams, ...)."""


@organisations.command("add")
@click.argument("key")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice([k.value for k in OrganisationKind]))
@click.option("--municipality", help="Gemeente waarvoor de organisatie werkt (sleutel).")
@click.option(
    "--group/--no-group",
    "with_group",
    default=True,
    help="Maak ook een team met dezelfde sleutel (standaard: ja).",
)
@pass_env
@handle_errors
def org_add(
    env: Env, key: str, name: str, kind: str, municipality: str | None, with_group: bool
) -> None:
    with env.db.transaction() as session:
        service.create_organisation(session, key, name, kind, municipality)
        if with_group:
            service.create_group(session, key, name, key)
    click.echo(f"organisatie {key} toegevoegd")


@organisations.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def org_list(env: Env, as_json: bool) -> None:
    with env.db.session() as session:
        rows = [
            {
                "key": o.key,
                "naam": o.name,
                "soort": o.kind,
                "gemeente": o.municipality,
                "actief": o.active,
            }
            for o in session.scalars(select(Organisation).order_by(Organisation.key))
        ]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['key']:<32} {r['soort']:<18} {r['gemeente'] or '-':<14} {r['naam']}")


@organisations.command("closure-day")
@click.argument("key")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("reason")
@pass_env
@handle_errors
def org_closure(env: Env, key: str, day: object, reason: str) -> None:
    """Leg een sluitingsdag DAY vast (telt niet als werkdag voor de termijnen van KEY)."""
    with env.db.transaction() as session:
        service.add_closure_day(session, key, day.date(), reason)  # type: ignore[attr-defined]
    click.echo(f"sluitingsdag {day:%Y-%m-%d} voor {key}")


@click.group()
def groups() -> None:
    """Teams: de kandidaatgroepen van taken."""


@groups.command("add")
@click.argument("key")
@click.argument("name")
@click.option("--organisation", required=True)
@pass_env
@handle_errors
def group_add(env: Env, key: str, name: str, organisation: str) -> None:
    with env.db.transaction() as session:
        service.create_group(session, key, name, organisation)
    click.echo(f"groep {key} toegevoegd")


@groups.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def group_list(env: Env, as_json: bool) -> None:
    with env.db.session() as session:
        rows = [
            {"key": g.key, "naam": g.name, "organisatie": g.organisation.key}
            for g in session.scalars(select(Group).order_by(Group.key))
        ]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['key']:<32} {r['organisatie']:<24} {r['naam']}")


@click.group()
def users() -> None:
    """Gebruikers, hun rollen en groepen."""


@users.command("add")
@click.argument("username")
@click.argument("name")
@click.option("--organisation", required=True)
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]))
@click.option("--group", "group_keys", multiple=True)
@click.option("--email")
@click.password_option(
    "--password",
    prompt="Wachtwoord",
    help="Wachtwoord (minstens 12 tekens, hoofd- en kleine letters).",
)
@pass_env
@handle_errors
def user_add(
    env: Env,
    username: str,
    name: str,
    organisation: str,
    roles: tuple[str, ...],
    group_keys: tuple[str, ...],
    email: str | None,
    password: str,
) -> None:
    with env.db.transaction() as session:
        service.create_user(
            session,
            username,
            name,
            organisation,
            password=password,
            email=email,
            roles=roles,
            groups=group_keys,
        )
    click.echo(f"gebruiker {username} toegevoegd")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def user_list(env: Env, as_json: bool) -> None:
    with env.db.session() as session:
        rows = [
            {
                "gebruikersnaam": u.username,
                "naam": u.name,
                "organisatie": u.organisation.key,
                "rollen": sorted(u.roles),
                "groepen": sorted(m.group.key for m in u.memberships),
                "actief": u.active,
                "tweede_factor": u.totp_secret is not None,
            }
            for u in session.scalars(select(User).order_by(User.username))
        ]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(
            f"{r['gebruikersnaam']:<24} {r['organisatie']:<24} "
            f"{','.join(r['rollen']):<30} {','.join(r['groepen'])}"
        )


@users.command("roles")
@click.argument("username")
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role])
)
@pass_env
@handle_errors
def user_roles(env: Env, username: str, roles: tuple[str, ...]) -> None:
    """Vervang de rollen van een gebruiker."""
    with env.db.transaction() as session:
        service.set_roles(session, service.user(session, username), list(roles))
    click.echo(f"rollen van {username}: {', '.join(sorted(roles))}")


@users.command("group")
@click.argument("username")
@click.argument("group_key", metavar="GROUP")
@pass_env
@handle_errors
def user_group(env: Env, username: str, group_key: str) -> None:
    """Voeg een gebruiker toe aan een groep van de eigen organisatie."""
    with env.db.transaction() as session:
        service.add_to_group(session, service.user(session, username), group_key)
    click.echo(f"{username} zit in {group_key}")


@users.command("unlock")
@click.argument("username")
@pass_env
@handle_errors
def user_unlock(env: Env, username: str) -> None:
    with env.db.transaction() as session:
        row = service.user(session, username)
        row.locked_until = None
        row.failed_logins = 0
    click.echo(f"{username} gedeblokkeerd")


@users.command("reset-totp")
@click.argument("username")
@pass_env
@handle_errors
def user_reset_totp(env: Env, username: str) -> None:
    """Wis de tweede factor: bij de volgende login (na het wachtwoord) stelt de gebruiker een
    nieuwe in. Beëindigt alle sessies van de gebruiker; komt in het auditlog."""
    from app.auth.principal import cli_principal
    from app.privacy import logs

    with env.db.transaction() as session:
        service.reset_second_factor(service.user(session, username))
    logs.audit(
        env.db,
        env.settings.secret_key,
        cli_principal(),
        "gebruiker.tweede-factor-wissen",
        "gebruiker",
        username,
    )
    click.echo(f"tweede factor van {username} gewist; sessies beëindigd")


class _Bind(Command):
    """Last version took the municipality as the second argument: `bind PROCESS MUNICIPALITY
    PARTY GROUP`; it still works for one version, with a line saying so."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        positional = [a for a in args if not a.startswith("-")]
        if len(positional) == 4 and "--municipality" not in args:
            click.echo(
                "let op: de gemeente is nu een optie: "
                "`stroom bind PROCESS PARTY GROUP --municipality GEMEENTE`",
                err=True,
            )
            process, municipality, party, group = positional
            args = [process, party, group, "--municipality", municipality]
        return super().parse_args(ctx, args)


@click.command("bind", cls=_Bind)
@click.argument("process")
@click.argument("party")
@click.argument("group_key", metavar="GROUP")
@click.option("--municipality", required=True, help="Gemeente (sleutel).")
@pass_env
@handle_errors
def binding(env: Env, process: str, party: str, group_key: str, municipality: str) -> None:
    """Leg vast welke GROUP in de gemeente de PARTY speelt in PROCESS (vervangt een bestaande
    binding)."""
    from app.cases.service import bind_party

    with env.db.transaction() as session:
        service.group(session, group_key)
        bind_party(session, process, municipality, party, group_key, replace=True)
    click.echo(f"{process} in {municipality}: {party} = {group_key}")


@click.group()
def token() -> None:
    """API-tokens voor partnersystemen en scripts."""


@token.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(ALL_SCOPES),
    help="Wat het token mag (herhaalbaar, minstens één); het krijgt alleen wat u noemt.",
)
@click.option(
    "--organisation",
    help="Partnerorganisatie waarvoor het token werkt. Zonder: "
    "een beheertoken voor de hele installatie.",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    help="Het token verloopt na zoveel dagen. Zonder: het verloopt niet.",
)
@pass_env
@handle_errors
def token_create(
    env: Env, name: str, scopes: tuple[str, ...], organisation: str | None, days: int | None
) -> None:
    """Maak een token; het wordt één keer getoond en alleen als hash bewaard."""
    if not scopes:
        # No default: a forgotten option must not give a token that can do everything.
        raise click.UsageError(
            "geef minstens één --scope; het token krijgt alleen de scopes die u noemt. "
            f"Mogelijk: {', '.join(ALL_SCOPES)}"
        )
    expires = clock.now() + timedelta(days=days) if days else None
    with env.db.transaction() as session:
        org = service.organisation(session, organisation) if organisation else None
        row, secret = create_token(
            session,
            name,
            list(scopes),
            created_by="cli",
            expires_at=expires,
            organisation_id=org.id if org else None,
        )
        # What the token can do, on stderr; stdout holds only the token, for scripts.
        for line in (
            f"token {row.id} ({name})",
            f"  scopes: {' '.join(sorted(row.scopes))}",
            f"  organisatie: {org.key if org else 'geen (beheertoken voor de hele installatie)'}",
            f"  verloopt: {f'{clock.local(expires):%Y-%m-%d %H:%M}' if expires else 'nooit'}",
        ):
            click.echo(line, err=True)
    click.echo(secret)


@token.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def token_list(env: Env, as_json: bool) -> None:
    with env.db.session() as session:
        rows = [
            {
                "id": t.id,
                "name": t.name,
                "prefix": t.prefix,
                "scopes": t.scopes,
                "organisatie": t.organisation.key if t.organisation else None,
                "created_at": t.created_at,
                "revoked_at": t.revoked_at,
                "last_used_at": t.last_used_at,
            }
            for t in session.scalars(select(ApiToken).order_by(ApiToken.id))
        ]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        state = "ingetrokken" if r["revoked_at"] else "actief"
        click.echo(
            f"{r['id']} {r['name']} {r['prefix']}… {r['organisatie'] or 'beheer'} "
            f"{state} {' '.join(r['scopes'])}"
        )


@token.command("revoke")
@click.argument("token_id", type=int)
@pass_env
@handle_errors
def token_revoke(env: Env, token_id: int) -> None:
    with env.db.transaction() as session:
        row = revoke_token(session, token_id)
        click.echo(f"token {row.id} ingetrokken")
