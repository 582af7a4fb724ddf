"""CLI: endpoints add / list / remove / test — OpenAI-compatible endpoints stored by name (keys only by env var)."""

import argparse

from core.choices import ENDPOINT_KINDS, LOCAL, LOCAL_CONCURRENCY, LOCAL_MODEL
from core.limits import CONCURRENCY, RETRIES, TIMEOUT


def register(sub) -> None:
    """Add the `endpoints` command and its subcommands."""
    parser = sub.add_parser("endpoints", help="add, list, remove or test LLM endpoints")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(parser))

    add = actions.add_parser("add", help="store an OpenAI-compatible endpoint")
    add.add_argument("name", help="name used with --endpoint")
    add.add_argument("--base-url", required=True, help="base URL, e.g. https://api.openai.com/v1")
    add.add_argument("--model", required=True, help="model name sent with every call")
    add.add_argument("--api-key-env", help="NAME of the environment variable holding the key (never the key)")
    add.add_argument("--concurrency", type=CONCURRENCY.arg, default=8, help="calls in flight at once (default 8)")
    add.add_argument("--timeout", type=TIMEOUT.arg, default=60.0, help="seconds per call before retrying (default 60)")
    add.add_argument("--retries", type=RETRIES.arg, default=4, help="retries after a failed attempt (default 4)")
    add.add_argument(
        "--kind",
        choices=ENDPOINT_KINDS,
        default="openai",
        help="the server: openai (any OpenAI-compatible chat API; default), vllm, or llamacpp (llama-server); vllm and "
        "llamacpp predict by continuing the rationale exactly like the reference",
    )
    add.add_argument("--vllm", action="store_true", help="same as --kind vllm")
    add.set_defaults(func=run_add)

    actions.add_parser("list", help="list stored endpoints and their call statistics").set_defaults(func=run_list)

    remove = actions.add_parser("remove", help="delete a stored endpoint")
    remove.add_argument("name", help="endpoint name")
    remove.set_defaults(func=run_remove)

    test = actions.add_parser("test", help="make one call and print latency and reply")
    test.add_argument("name", help=f"endpoint name ({LOCAL!r} = the embedded model)")
    test.set_defaults(func=run_test)


def run_add(args: argparse.Namespace) -> int:
    """Validate and store one endpoint."""
    from core.llm.endpoints import add_checked_endpoint
    from storage.db import get_engine

    add_checked_endpoint(
        engine=get_engine(args.db),
        name=args.name,
        base_url=args.base_url,
        model=args.model,
        api_key_env=args.api_key_env,
        kind="vllm" if args.vllm else args.kind,
        concurrency=args.concurrency,
        timeout=args.timeout,
        retries=args.retries,
    )
    print(f"added endpoint {args.name}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print every endpoint, the built-in one first."""
    from core.urls import redact_url
    from storage.db import get_engine, session_scope
    from storage.llm import call_stats, list_endpoints

    with session_scope(get_engine(args.db)) as session:
        endpoints = list_endpoints(session=session)
        stats = {row["endpoint"]: row for row in call_stats(session=session)}
    print(f"{'NAME':<16} {'KIND':<7} {'MODEL':<34} {'KEY ENV':<18} {'CONC':>4} {'CALLS':>7} {'FAILED':>6}  BASE URL")
    rows = [(LOCAL, "local", f"{LOCAL_MODEL} (embedded)", "-", LOCAL_CONCURRENCY, "started on demand")]
    rows += [(e.name, e.kind, e.model, e.api_key_env or "-", e.concurrency, redact_url(e.base_url)) for e in endpoints]
    for name, kind, model, key_env, conc, url in rows:
        calls, failed = stats.get(name, {}).get("calls", 0), stats.get(name, {}).get("failures", 0)
        print(f"{name:<16} {kind:<7} {model:<34} {key_env:<18} {conc:>4} {calls:>7} {failed:>6}  {url}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    """Delete one stored endpoint."""
    from core.errors import NotFound
    from storage.db import get_engine, session_scope
    from storage.llm import remove_endpoint

    with session_scope(get_engine(args.db)) as session:
        if not remove_endpoint(session=session, name=args.name):
            raise NotFound(f"unknown endpoint {args.name!r}")
    print(f"removed endpoint {args.name}")
    return 0


def run_test(args: argparse.Namespace) -> int:
    """One uncached call; prints latency and the reply (exit 1 when it failed)."""
    from core.llm.probe import probe_endpoint
    from storage.db import get_engine

    ok, line = probe_endpoint(engine=get_engine(args.db), name=args.name)
    print(line)
    return 0 if ok else 1
