"""Commands for organisations, groups, users, party bindings and API tokens."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import select

from app import clock
from app.auth import service
from app.auth.models import ApiToken, Group, Organisation, OrganisationKind, Role, User
from app.auth.tokens import ALL_SCOPES, create_token, revoke_token
from app.cli import Env, echo_json, handle_errors, pass_env


@click.group()
def organisations() -> None:
    """Organisaties (gemeente-afdelingen, corporaties, wijkteams, ...)."""


@organisations.command("add")
@click.argument("key")
@click.argument("naam")
@click.option(
    "--kind", "soort", required=True, type=click.Choice([k.value for k in OrganisationKind])
)
@click.option(
    "--municipality", "gemeente", help="Gemeente waarvoor de organisatie werkt (sleutel)."
)
@click.option(
    "--group/--no-group",
    "groep",
    default=True,
    help="Maak ook een team met dezelfde sleutel (standaard: ja).",
)
@pass_env
@handle_errors
def org_add(env: Env, key: str, naam: str, soort: str, gemeente: str | None, groep: bool) -> None:
    with env.db.transaction() as session:
        service.create_organisation(session, key, naam, soort, gemeente)
        if groep:
            service.create_group(session, key, naam, key)
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
@click.argument("datum", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("reden")
@pass_env
@handle_errors
def org_closure(env: Env, key: str, datum: object, reden: str) -> None:
    """Leg een sluitingsdag vast (telt niet als werkdag voor de termijnen van KEY)."""
    with env.db.transaction() as session:
        service.add_closure_day(session, key, datum.date(), reden)  # type: ignore[attr-defined]
    click.echo(f"sluitingsdag {datum:%Y-%m-%d} voor {key}")


@click.group()
def groups() -> None:
    """Teams: de kandidaatgroepen van taken."""


@groups.command("add")
@click.argument("key")
@click.argument("naam")
@click.option("--organisation", "organisatie", required=True)
@pass_env
@handle_errors
def group_add(env: Env, key: str, naam: str, organisatie: str) -> None:
    with env.db.transaction() as session:
        service.create_group(session, key, naam, organisatie)
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
@click.argument("gebruikersnaam")
@click.argument("naam")
@click.option("--organisation", "organisatie", required=True)
@click.option("--role", "rollen", multiple=True, type=click.Choice([r.value for r in Role]))
@click.option("--group", "groepen_", multiple=True)
@click.option("--email")
@click.password_option(
    "--password",
    "wachtwoord",
    prompt="Wachtwoord",
    help="Wachtwoord (minstens 12 tekens, hoofd- en kleine letters).",
)
@pass_env
@handle_errors
def user_add(
    env: Env,
    gebruikersnaam: str,
    naam: str,
    organisatie: str,
    rollen: tuple[str, ...],
    groepen_: tuple[str, ...],
    email: str | None,
    wachtwoord: str,
) -> None:
    with env.db.transaction() as session:
        service.create_user(
            session,
            gebruikersnaam,
            naam,
            organisatie,
            password=wachtwoord,
            email=email,
            roles=rollen,
            groups=groepen_,
        )
    click.echo(f"gebruiker {gebruikersnaam} toegevoegd")


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
@click.argument("gebruikersnaam")
@click.option(
    "--role", "rollen", multiple=True, required=True, type=click.Choice([r.value for r in Role])
)
@pass_env
@handle_errors
def user_roles(env: Env, gebruikersnaam: str, rollen: tuple[str, ...]) -> None:
    """Vervang de rollen van een gebruiker."""
    with env.db.transaction() as session:
        service.set_roles(session, service.user(session, gebruikersnaam), list(rollen))
    click.echo(f"rollen van {gebruikersnaam}: {', '.join(sorted(rollen))}")


@users.command("group")
@click.argument("gebruikersnaam")
@click.argument("groep")
@pass_env
@handle_errors
def user_group(env: Env, gebruikersnaam: str, groep: str) -> None:
    """Voeg een gebruiker toe aan een groep van de eigen organisatie."""
    with env.db.transaction() as session:
        service.add_to_group(session, service.user(session, gebruikersnaam), groep)
    click.echo(f"{gebruikersnaam} zit in {groep}")


@users.command("unlock")
@click.argument("gebruikersnaam")
@pass_env
@handle_errors
def user_unlock(env: Env, gebruikersnaam: str) -> None:
    with env.db.transaction() as session:
        row = service.user(session, gebruikersnaam)
        row.locked_until = None
        row.failed_logins = 0
    click.echo(f"{gebruikersnaam} gedeblokkeerd")


@users.command("reset-totp")
@click.argument("gebruikersnaam")
@pass_env
@handle_errors
def user_reset_totp(env: Env, gebruikersnaam: str) -> None:
    """Wis de tweede factor: bij de volgende login (na het wachtwoord) stelt de gebruiker een
    nieuwe in. Beëindigt alle sessies van de gebruiker; komt in het auditlog."""
    from app.auth.principal import cli_principal
    from app.privacy import logs

    with env.db.transaction() as session:
        service.reset_second_factor(service.user(session, gebruikersnaam))
    logs.audit(
        env.db,
        env.settings.secret_key,
        cli_principal(),
        "gebruiker.tweede-factor-wissen",
        "gebruiker",
        gebruikersnaam,
    )
    click.echo(f"tweede factor van {gebruikersnaam} gewist; sessies beëindigd")


@click.command("bind")
@click.argument("proces")
@click.argument("gemeente")
@click.argument("partij")
@click.argument("groep")
@pass_env
@handle_errors
def binding(env: Env, proces: str, gemeente: str, partij: str, groep: str) -> None:
    """Leg vast welke GROEP in GEMEENTE de PARTIJ speelt in PROCES."""
    from app.cases.models import PartyBinding

    with env.db.transaction() as session:
        service.group(session, groep)
        row = session.scalar(
            select(PartyBinding).where(
                PartyBinding.process_key == proces,
                PartyBinding.municipality == gemeente,
                PartyBinding.party == partij,
            )
        )
        if row is None:
            session.add(
                PartyBinding(
                    process_key=proces, municipality=gemeente, party=partij, group_key=groep
                )
            )
        else:
            row.group_key = groep
    click.echo(f"{proces} in {gemeente}: {partij} = {groep}")


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
    "organisatie",
    help="Partnerorganisatie waarvoor het token werkt. Zonder: "
    "een beheertoken voor de hele installatie.",
)
@click.option(
    "--days",
    "dagen",
    type=click.IntRange(min=1),
    help="Het token verloopt na zoveel dagen. Zonder: het verloopt niet.",
)
@pass_env
@handle_errors
def token_create(
    env: Env, name: str, scopes: tuple[str, ...], organisatie: str | None, dagen: int | None
) -> None:
    """Maak een token; het wordt één keer getoond en alleen als hash bewaard."""
    if not scopes:
        # No default: a forgotten option must not give a token that can do everything.
        raise click.UsageError(
            "geef minstens één --scope; het token krijgt alleen de scopes die u noemt. "
            f"Mogelijk: {', '.join(ALL_SCOPES)}"
        )
    expires = clock.now() + timedelta(days=dagen) if dagen else None
    with env.db.transaction() as session:
        org = service.organisation(session, organisatie) if organisatie else None
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
