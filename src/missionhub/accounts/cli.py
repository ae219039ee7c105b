"""`missionhub users ...`: accounts and API tokens."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy import select

from missionhub.accounts.models import Organisation, Role, User
from missionhub.accounts.permissions import Actor
from missionhub.accounts.schemas import TokenIn, UserIn
from missionhub.accounts.service import actor_for, create_api_token, create_user
from missionhub.clitools import console, database, fail
from missionhub.errors import ServiceError

NAME = "users"
app = typer.Typer(help="Accounts and API tokens.", no_args_is_help=True)


@app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Sign-in email address.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[Role, typer.Option(help="Role.")],
    organisation: Annotated[str, typer.Option(help="Organisation name or slug.")],
    password_file: Annotated[
        Path | None, typer.Option(help="File holding the password (else you are prompted).")
    ] = None,
) -> None:
    """Create an account. The password is read from a file or a prompt, never the command line."""
    password = password_file.read_text().strip() if password_file else getpass.getpass("Password: ")
    try:
        with database().transaction(Actor.system("cli")) as session:
            org = session.scalar(
                select(Organisation).where(
                    (Organisation.name == organisation) | (Organisation.slug == organisation)
                )
            )
            if org is None:
                raise fail(f"no organisation called {organisation!r}")
            try:
                data = UserIn(
                    email=email,
                    display_name=name,
                    password=password,
                    role=role,
                    organisation_id=org.id,
                )
            except ValidationError as exc:
                raise fail("; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())) from exc
            user = create_user(session, actor=Actor.system("cli"), data=data)
            console.print(f"Created {user.email} ({role.label}, {org.name}).")
    except ServiceError as exc:
        raise fail(str(exc)) from exc


@app.command("token")
def users_token(
    email: Annotated[str, typer.Option(help="Whose token.")],
    name: Annotated[str, typer.Option(help="What the token is for.")],
    days: Annotated[int, typer.Option(help="Days until it expires.", min=1, max=366)] = 90,
) -> None:
    """Create an API token for a user and print it once (on stdout)."""
    with database().transaction(Actor.system("cli")) as session:
        user = session.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            raise fail(f"no user {email!r}")
        session.info["actor"] = actor_for(user)
        _, token = create_api_token(
            session, actor=actor_for(user), data=TokenIn(name=name, days=days)
        )
    typer.echo(token)
