"""`radar web`: a small local server for the Friday practice. It serves the written pages and one
check-in form per team; an answer is stored in `checkins` and the week's pages are written again.

Works without JavaScript (a plain form POST, then a redirect to the regenerated page). Safe by
default: binds to 127.0.0.1, answers only to the expected Host names (no DNS rebinding), every
POST carries a token bound to the browser's session cookie (CSRF), and bad input is shown on
the form with nothing stored. The form body is parsed with the standard library (it is only
ever `application/x-www-form-urlencoded`), so no multipart parser is needed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware

from core.config import Config, Team, WebSettings
from core.store import Store
from core.weeks import Week
from flows.outputs import freshness, write_week
from flows.practice import read_checkin, store_checkin
from metrics.selfcheck import ANSWER_COLOURS, ITEM_KEYS, AnswerError, check_answers
from reports.slug import unique_slugs

log = logging.getLogger(__name__)

SESSION_COOKIE = "radar_session"
MAX_FORM_BYTES = 16_384
_WEEK_FOLDER = re.compile(r"^\d{4}-W\d{2}$")
_PAGE_FOLDER = re.compile(r"^\d{4}-W\d{2}(_\d{4}-W\d{2})?$")  # a week, or a range run's trend pages
_PAGE_FILE = re.compile(r"^([a-z0-9][a-z0-9-]*\.html|metrics\.json)$")
# The form and index pages' policy; a written page carries its own in a <meta> tag.
FORM_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'none'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def web_base_url(config: Config, host: str, port: int) -> str:
    """Where pages link to the form: `[web] base_url`, else this server's own address."""
    if config.web.base_url:
        return config.web.base_url
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def expected_hosts(config: Config, host: str) -> list[str]:
    """The Host names a browser uses for this server: the bound address, localhost, base_url's."""
    hosts = {host, "127.0.0.1", "localhost", "::1", "[::1]"}
    if config.web.base_url:
        hosts.add(urlsplit(config.web.base_url).hostname or "")
    return sorted(h for h in hosts if h and h not in ("0.0.0.0", "::"))


def csrf_token(secret: bytes, session: str) -> str:
    return hmac.new(secret, f"checkin:{session}".encode(), hashlib.sha256).hexdigest()


def current_week(config: Config, now: datetime) -> Week:
    """The week in progress in the config's time zone: the Friday self-check is about it."""
    return Week.of(now.astimezone(config.zone).date(), config.zone)


def latest_week_folder(config: Config) -> str | None:
    root = config.output_path
    if not root.is_dir():
        return None
    weeks = sorted(
        p.name for p in root.iterdir() if _WEEK_FOLDER.match(p.name) and (p / "index.html").exists()
    )
    return weeks[-1] if weeks else None


def create_app(
    config: Config,
    allowed_hosts: Sequence[str],
    secret: bytes | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FastAPI:
    """The web app for one config. `config.web.base_url` should say where the app is reachable,
    so that the pages it writes link back to the form."""
    from reports.render import environment

    key = secret or secrets.token_bytes(32)
    slugs = unique_slugs([t.name for t in config.teams])
    teams_by_slug = {slugs[t.name]: t for t in config.teams}
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def render(template: str, status: int = 200, **view: Any) -> HTMLResponse:
        page = (
            environment()
            .get_template(template)
            .render(
                zone=config.zone,
                timezone=config.zone.key,
                generated_at=clock(),
                readme=None,
                script_hash=None,
                form_action="'self'",
                **view,
            )
        )
        return HTMLResponse(page, status_code=status, headers={"Content-Security-Policy": FORM_POLICY})

    def session_of(request: Request) -> tuple[str, bool]:
        session = request.cookies.get(SESSION_COOKIE, "")
        if re.fullmatch(r"[A-Za-z0-9_-]{32,64}", session):
            return session, False
        return secrets.token_urlsafe(32), True

    def form_response(
        request: Request, team: Team, week: str, answers: dict[str, str], errors: list[str], status: int = 200
    ) -> HTMLResponse:
        from reports.practice import checkin_form_view

        session, new = session_of(request)
        folder = config.output_path / week / f"{slugs[team.name]}.html"
        view = checkin_form_view(
            team.name,
            week,
            answers,
            errors,
            csrf_token(key, session),
            f"/teams/{quote(slugs[team.name])}/checkin",
            f"/weeks/{week}/{slugs[team.name]}.html" if folder.exists() else None,
        )
        response = render(
            "checkin.html", status, page_title=f"{team.name} — Friday self-check, week {week}", **view
        )
        if new:
            response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict", path="/")
        return response

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        latest = latest_week_folder(config)
        week = current_week(config, clock()).label
        teams = []
        for team in config.teams:
            slug = slugs[team.name]
            page = config.output_path / latest / f"{slug}.html" if latest else None
            teams.append(
                {
                    "name": team.name,
                    "checkin": f"/teams/{quote(slug)}/checkin?week={week}",
                    "page": f"/weeks/{latest}/{slug}.html" if page is not None and page.exists() else None,
                }
            )
        return render(
            "web_index.html",
            page_title="Delegation radar",
            teams=teams,
            latest=latest,
            week=week,
        )

    @app.get("/weeks/{week}/{name}")
    def page(week: str, name: str) -> Response:
        path = config.output_path / week / name
        if not (_PAGE_FOLDER.match(week) and _PAGE_FILE.match(name)) or not path.is_file():
            return HTMLResponse("No such page.", status_code=404)
        return FileResponse(path, media_type="application/json" if name.endswith(".json") else "text/html")

    @app.get("/teams/{slug}/checkin", response_class=HTMLResponse)
    def checkin_form(request: Request, slug: str, week: str | None = None) -> HTMLResponse:
        team = teams_by_slug.get(slug)
        if team is None:
            return HTMLResponse("No such team.", status_code=404)
        try:
            chosen = Week.parse(week, config.zone) if week else current_week(config, clock())
            if chosen.start > clock():
                raise ValueError(f"week {chosen.label} has not started yet")
            label = chosen.label
        except ValueError as error:
            return form_response(request, team, current_week(config, clock()).label, {}, [str(error)], 400)
        found = read_checkin(Store(config.store_path).scan_all(), team.name, label)
        return form_response(request, team, label, dict(found[0]) if found else {}, [])

    @app.post("/teams/{slug}/checkin")
    async def checkin_submit(request: Request, slug: str) -> Response:
        team = teams_by_slug.get(slug)
        if team is None:
            return HTMLResponse("No such team.", status_code=404)
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return HTMLResponse("The form is too large.", status_code=413)
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        refused = _refused(request, key, fields.pop("csrf", [""])[-1])
        if refused:
            return HTMLResponse(refused, status_code=403)
        week_text = (fields.pop("week", [""]) or [""])[-1]
        answers = {name: values[-1] for name, values in fields.items()}
        errors = [
            f"'{name}' was answered more than once" for name, values in fields.items() if len(values) > 1
        ]
        now = clock()
        try:
            week = Week.parse(week_text, config.zone)
            if week.start > now:
                raise ValueError(f"week {week.label} has not started yet")
        except ValueError as error:
            week = current_week(config, now)
            errors.append(str(error))
        try:
            checked = check_answers(answers)
        except AnswerError as error:
            errors += [_plain(problem) for problem in error.problems]
            checked = {}
        if errors:
            shown = {k: v for k, v in answers.items() if k in ITEM_KEYS and v in ANSWER_COLOURS}
            return form_response(request, team, week.label, shown, errors, 400)
        await run_in_threadpool(_store_and_write, config, team, week.at(now), checked, now)
        return RedirectResponse(f"/weeks/{week.label}/{slugs[team.name]}.html#selfcheck", status_code=303)

    return app


def _plain(problem: str) -> str:
    """An AnswerError line as the form says it (item keys become the questions' titles)."""
    from metrics.selfcheck import ITEMS

    if problem.startswith("not answered: "):
        titles = {item.key: item.title for item in ITEMS}
        missing = problem.removeprefix("not answered: ").split(", ")
        return "Please answer: " + ", ".join(titles.get(m, m) for m in missing) + "."
    if problem.startswith("unknown item"):
        return "The form sent a question this version does not know; reload the form and answer again."
    return problem


def _refused(request: Request, key: bytes, token: str) -> str | None:
    """Why a POST is refused (a foreign Origin, no session, a wrong token), or None."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        return "Refused: the form was sent from another site."
    session = request.cookies.get(SESSION_COOKIE, "")
    if not session or not hmac.compare_digest(token.encode(), csrf_token(key, session).encode()):
        return "Refused: the form's security token is missing or out of date. Open the form again and answer."
    return None


def _store_and_write(config: Config, team: Team, week: Week, answers: dict[str, str], now: datetime) -> None:
    """Keep the answers, then write the week's pages again (as of `now` for the week in progress)."""
    store = Store(config.store_path)
    store_checkin(store, team.name, week.label, answers, now)
    write_week(config, store.scan_all(), week, None, freshness(config), now)
    log.info("stored the self-check of %s for %s and wrote the week's pages", team.name, week.label)


def web_app(config: Config, host: str, port: int) -> FastAPI:
    """The app as `radar web` serves it on `host:port`: pages link back to this server's form
    unless `[web] base_url` names another address."""
    if config.web.base_url is None:
        config = config.model_copy(update={"web": WebSettings(base_url=web_base_url(config, host, port))})
    return create_app(config, expected_hosts(config, host))


def run_web(config: Config, host: str, port: int) -> None:
    """Serve the app with uvicorn until interrupted."""
    import uvicorn

    log.info("serving %s on %s", config.output_path, web_base_url(config, host, port))
    uvicorn.run(web_app(config, host, port), host=host, port=port, log_level="info")
