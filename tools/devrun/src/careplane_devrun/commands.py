"""The runner's commands (run, serve, migrate, revision) and its command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass

from careplane_devrun.console import Console, configure_logging, log_label
from careplane_devrun.databases import (
    Databases,
    apply_migrations,
    data_folder_lock,
    in_thread,
    lock_holder,
    provide_databases,
)
from careplane_devrun.layout import (
    HOST,
    DevRunError,
    Layout,
    base_url,
    check_port_free,
    elapsed,
    float_env,
    int_env,
)
from careplane_devrun.production import ensure_signing_keys, run_secrets
from careplane_devrun.seeds import DemoSeed, discover_seeds
from careplane_devrun.supervisor import Shutdown, Supervisor
from careplane_devrun.topology import (
    DEFAULT_INBOUND_SMTP_PORT,
    DEFAULT_SMTP_PORT,
    PIECES,
    SERVICES,
    Profile,
    child_environment,
    piece_ports,
)
from careplane_shared.migrations import alembic_config
from careplane_shared.testing.ports import free_port

DEMO_PASSWORD = "careplane"  # the documented dev-only demo password
READY_LINE = "Careplane is ready"
EXIT_INTERRUPTED = 130
PRODUCTION_DRAIN_SECONDS = 20  # uvicorn's drain in the image (deploy/docker/Dockerfile)


async def load_demo_data(urls: Mapping[str, str], console: Console) -> list[DemoSeed]:
    """Every installed service's demo data, each into its service's database."""
    seeds = discover_seeds(SERVICES)
    for seed in seeds:
        started = time.monotonic()
        try:
            await seed.seed(urls[seed.service])
        except Exception as exc:
            raise DevRunError(f"loading the demo data of {seed.service} failed: {exc!r}") from exc
        console.say(f"{seed.service}: demo data loaded ({elapsed(started)})")
    return seeds


@dataclass(frozen=True)
class RunOptions:
    """How ``run`` (the dev profile) or ``serve`` (the production profile) starts the pieces."""

    profile: Profile = Profile.DEV
    # Worker processes per piece; None starts one process per piece, as uvicorn does.
    workers: int | None = None

    @property
    def production(self) -> bool:
        return self.profile is Profile.PRODUCTION


async def command_run(
    layout: Layout,
    environ: Mapping[str, str],
    console: Console,
    shutdown: Shutdown,
    options: RunOptions | None = None,
) -> int:
    options = options or RunOptions()
    started = time.monotonic()
    ports = piece_ports(environ)
    ready_timeout = float_env(environ, "CAREPLANE_READY_TIMEOUT", 60.0)

    with data_folder_lock(layout) as held:
        if not held:
            raise DevRunError(
                f"another `make run` is using {layout.data}{lock_holder(layout)}; stop it first "
                "or point CAREPLANE_DATA_DIR at another folder"
            )
        for name, port in ports.items():
            check_port_free(port, name)
        console.say(f"data folder {layout.data}")
        async with AsyncExitStack() as stack:
            supervisor = Supervisor(
                console,
                layout,
                drain_seconds=PRODUCTION_DRAIN_SECONDS if options.production else 5,
                force=shutdown.force,
            )
            try:
                databases = await provide_databases(
                    SERVICES, layout, environ, console, stack, owns_data=True
                )
                # Unwinds first: the children stop before their database does.
                stack.push_async_callback(supervisor.stop)
                await apply_migrations(databases.urls, layout, console)

                seeds = await load_demo_data(databases.urls, console)

                layout.keys.mkdir(mode=0o700, parents=True, exist_ok=True)
                smtp_port = int_env(environ, "CAREPLANE_SMTP_PORT", DEFAULT_SMTP_PORT)
                if not options.production:
                    # The sink notify starts in dev. Chosen just before notify starts: another
                    # runner starting meanwhile may take the same port in between.
                    smtp_port = free_port(smtp_port)
                # Tickets' listener for mail to the support address, the same way.
                inbound_port = free_port(
                    int_env(environ, "CAREPLANE_INBOUND_SMTP_PORT", DEFAULT_INBOUND_SMTP_PORT)
                )
                secrets = None
                if options.production:
                    ensure_signing_keys(layout.keys)
                    secrets = run_secrets((piece.name for piece in PIECES), layout.keys)
                environments = {
                    piece.name: child_environment(
                        piece,
                        ports,
                        databases.urls,
                        layout,
                        environ,
                        smtp_port,
                        inbound_smtp_port=inbound_port,
                        profile=options.profile,
                        secrets=secrets,
                    )
                    for piece in PIECES
                }
                for piece in PIECES:
                    await supervisor.start(
                        piece,
                        ports[piece.name],
                        environments[piece.name],
                        workers=options.workers,
                        log_file=layout.logs / f"{piece.name}.log" if options.production else None,
                    )
                processes = f" ({options.workers} workers each)" if options.workers else ""
                console.say(
                    "started "
                    + ", ".join(f"{piece.name} on :{ports[piece.name]}" for piece in PIECES)
                    + processes
                )
                await supervisor.wait_ready(ready_timeout)
                accounts = [account for seed in seeds for account in seed.accounts]
                if options.production:
                    notify = environments["notify"]
                    smtp = f"{notify['NOTIFY_SMTP_HOST']}:{notify['NOTIFY_SMTP_PORT']}"
                    _print_production_banner(console, ports, databases, accounts, layout, smtp)
                else:
                    _print_banner(console, ports, databases, accounts, layout, smtp_port)
                tickets = environments["tickets"]
                console.say(
                    f"send mail to {tickets.get('TICKETS_INBOUND_SUPPORT_ADDRESS', SUPPORT)} at "
                    f"{tickets['TICKETS_INBOUND_SMTP_HOST']}:{tickets['TICKETS_INBOUND_SMTP_PORT']}"
                )
                console.say(
                    console.heading(f"{READY_LINE} ({elapsed(started)}). Press Ctrl-C to stop.")
                )

                dead = await supervisor.first_exit()
                raise DevRunError(
                    f"{dead.piece.name} exited with code {dead.process.returncode}; "
                    "stopping everything"
                )
            finally:
                shutdown.cleaning = True


SUPPORT = "support@careplane.example"


def _print_banner(
    console: Console,
    ports: Mapping[str, int],
    databases: Databases,
    accounts: Sequence[tuple[str, str]],
    layout: Layout,
    smtp_port: int,
) -> None:
    rows = [
        ("GraphQL (GraphiQL)", f"{base_url(ports['gateway'])}/graphql"),
        ("Token endpoint", f"POST {base_url(ports['gateway'])}/auth/token"),
        *((f"{service} API docs", f"{base_url(ports[service])}/docs") for service in SERVICES),
        ("Mailbox (staff token)", f"GET {base_url(ports['notify'])}/v1/mailbox"),
        ("Mailbox folder", f"{layout.mailbox} (SMTP sink on {HOST}:{smtp_port})"),
    ]
    _print_rows(console, rows, databases, accounts, "dev profile only")


def _print_production_banner(
    console: Console,
    ports: Mapping[str, int],
    databases: Databases,
    accounts: Sequence[tuple[str, str]],
    layout: Layout,
    smtp: str,
) -> None:
    rows = [
        ("GraphQL", f"POST {base_url(ports['gateway'])}/graphql"),
        ("Token endpoint", f"POST {base_url(ports['gateway'])}/auth/token"),
        *((service, base_url(ports[service])) for service in SERVICES),
        ("Logs (JSON)", f"{layout.logs}/<piece>.log"),
        ("Mail goes to", f"SMTP {smtp} (NOTIFY_SMTP_HOST, NOTIFY_SMTP_PORT)"),
    ]
    _print_rows(console, rows, databases, accounts, "demo data loaded into this run")


def _print_rows(
    console: Console,
    rows: list[tuple[str, str]],
    databases: Databases,
    accounts: Sequence[tuple[str, str]],
    password_note: str,
) -> None:
    if databases.embedded is not None and databases.embedded.port is not None:
        rows.append(
            ("PostgreSQL (embedded)", f"postgresql://postgres@{HOST}:{databases.embedded.port}/")
        )
    label_width = max(len(label) for label, _ in rows)
    console.write()
    for label, value in rows:
        console.write(f"  {console.heading(label.ljust(label_width))}  {value}")
    if accounts:
        console.write()
        console.write(f"  Demo accounts, password: {DEMO_PASSWORD} ({password_note})")
        email_width = max(len(email) for email, _ in accounts)
        for email, role in accounts:
            console.write(f"    {email.ljust(email_width)}  {role}")
    console.write()


async def command_migrate(layout: Layout, environ: Mapping[str, str], console: Console) -> int:
    started = time.monotonic()
    with data_folder_lock(layout) as held:
        async with AsyncExitStack() as stack:
            databases = await provide_databases(
                SERVICES, layout, environ, console, stack, owns_data=held
            )
            await apply_migrations(databases.urls, layout, console)
    console.say(f"every service is migrated ({elapsed(started)})")
    return 0


async def command_revision(
    layout: Layout, environ: Mapping[str, str], console: Console, service: str, message: str
) -> int:
    from alembic import command

    if service not in SERVICES:
        raise DevRunError(f"unknown service {service!r}; choose one of {', '.join(SERVICES)}")
    with data_folder_lock(layout) as held:
        async with AsyncExitStack() as stack:
            databases = await provide_databases(
                [service], layout, environ, console, stack, owns_data=held
            )
            await apply_migrations(databases.urls, layout, console)
            config = alembic_config(layout.service_dir(service), databases.urls[service])
            with log_label(service):
                script = await in_thread(
                    lambda: command.revision(config, message=message, autogenerate=True)
                )
    scripts = script if isinstance(script, list) else [script]
    for item in scripts:
        if item is not None:
            console.say(f"new revision {item.revision}: {item.path}")
    console.say("review it before you commit it: autogenerate misses some changes")
    return 0


async def _main(args: argparse.Namespace, console: Console) -> int:
    task = asyncio.current_task()
    assert task is not None
    shutdown = Shutdown(console, task)
    shutdown.install()
    environ = dict(os.environ)
    layout = Layout.discover(environ)
    try:
        if args.command == "migrate":
            return await command_migrate(layout, environ, console)
        if args.command == "revision":
            return await command_revision(layout, environ, console, args.service, args.message)
        options = RunOptions(
            profile=Profile.PRODUCTION if args.command == "serve" else Profile.DEV,
            workers=getattr(args, "workers", None),
        )
        return await command_run(layout, environ, console, shutdown, options)
    except asyncio.CancelledError:
        if not shutdown.requested:
            raise
        task.uncancel()
        if args.command in (None, "run", "serve"):
            console.say("stopped")
            return 0
        console.warn("interrupted")
        return EXIT_INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m careplane_devrun",
        description="Run Careplane locally: embedded PostgreSQL, migrations, demo data, "
        "the three services and the gateway.",
    )
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="start everything (the default)")
    run.add_argument(
        "--workers",
        type=_positive,
        default=None,
        help="worker processes per piece (default: one process per piece)",
    )
    serve = commands.add_parser(
        "serve",
        help="start everything in the production profile: ENV=production, JSON logs to a "
        "file per piece, secrets made for the run, several workers per piece",
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=os.cpu_count() or 1,
        help="worker processes per piece (default: the machine's CPU count, %(default)s)",
    )
    commands.add_parser("migrate", help="create the databases and apply every migration")
    revision = commands.add_parser("revision", help="autogenerate a migration for one service")
    revision.add_argument("service", choices=SERVICES)
    revision.add_argument("message")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console()
    configure_logging(console)
    try:
        return asyncio.run(_main(args, console))
    except DevRunError as exc:
        console.error(str(exc))
        return 1
