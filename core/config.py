"""The TOML configuration of SPEC §3 as pydantic models, with errors that name file and key."""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.errors import BadInput, SecretUnavailable
from core.secrets import register_secret


class ConfigError(BadInput):
    """A config file that cannot be used; `problems` holds one line per problem."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {p}" for p in problems))


class SecretError(SecretUnavailable):
    """A secret reference that cannot be resolved (names the reference, never the value)."""


SECRET_PREFIXES = ("env:", "prefect-secret:")


def _check_secret_reference(value: str) -> str:
    if not value.startswith(SECRET_PREFIXES):
        raise ValueError("must be a reference: 'env:NAME' or 'prefect-secret:BLOCK_NAME'")
    name = value.split(":", 1)[1]
    if not name:
        raise ValueError("names no variable or block after the prefix")
    return value


SecretRef = Annotated[str, AfterValidator(_check_secret_reference)]


def resolve_secret(reference: str) -> str:
    """Resolve `env:NAME` or `prefect-secret:BLOCK` to its value, only when a connector needs it."""
    kind, _, name = reference.partition(":")
    if kind == "env":
        value = os.environ.get(name)
        if not value:
            raise SecretError(f"environment variable {name} is not set (referenced as '{reference}')")
        register_secret(value)  # scrubbed from every message from now on (core.secrets)
        return value
    if kind == "prefect-secret":
        from prefect.blocks.system import Secret

        try:
            block = Secret.load(name)
        except (ValueError, RuntimeError) as error:
            raise SecretError(f"Prefect Secret block '{name}' could not be loaded: {error}") from None
        value = str(block.get())  # type: ignore[union-attr]
        register_secret(value)
        return value
    raise SecretError(f"'{reference}' is not a secret reference (env:NAME or prefect-secret:BLOCK)")


_METADATA_HOSTS = {"metadata.google.internal", "metadata", "metadata.azure.internal", "instance-data"}
# Cloud metadata services outside the link-local range: AWS over IPv6, Alibaba Cloud.
_METADATA_ADDRESSES = {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}
_KNOWN_SUFFIXES = ("github.com", "atlassian.net", "atlassian.com", "jira.com")
_HOST_NAME = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$")
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*$")


def check_base_url(url: str, allow_insecure: bool = False) -> str:
    """Reject URLs a token must never be sent to (wrong scheme, metadata hosts, look-alikes)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise ValueError(f"'{url}' must be an https:// URL")
    if parts.scheme == "http" and not allow_insecure:
        raise ValueError(f"'{url}' is plain http; use https or set allow_insecure = true")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"'{url}' has no host")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials in the URL")
    host = host.removesuffix(".")  # `metadata.google.internal.` is the same host
    address = _ip_address(host)
    if address is None and not _HOST_NAME.match(host):
        raise ValueError(f"'{url}' has a host name with characters a host name cannot have")
    if address is None and _NUMERIC_HOST.match(host):
        # `2852039166`, `0xa9fea9fe`, `0251.0376.0251.0376`, `169.254.1`: the resolver reads these
        # as IPv4 addresses (169.254.169.254 here), so they would slip past the checks below.
        raise ValueError(f"'{url}' writes an IP address in a form other than a.b.c.d; write it plainly")
    if host in _METADATA_HOSTS:
        raise ValueError(f"'{url}' points at a cloud metadata service")
    if address is not None:
        reason = forbidden_address(address)
        if reason is not None:
            raise ValueError(f"'{url}' points at {reason}")
    for suffix in _KNOWN_SUFFIXES:
        if f"{suffix}." in host + "." and not (host == suffix or host.endswith("." + suffix)):
            raise ValueError(f"'{url}' imitates {suffix} but is another host")
    return url.rstrip("/")


def forbidden_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address | str) -> str | None:
    """Why no credential may go to this IP address (a cloud metadata service, a link-local,
    multicast or unspecified address), or None when it may. Private and loopback addresses are
    allowed: GitHub Enterprise and Jira Server often live there."""
    if isinstance(address, str):
        parsed = _ip_address(address.split("%", 1)[0])  # an IPv6 scope (`fe80::1%eth0`) is not part
        if parsed is None:
            return "an address that is not an IP address"
        address = parsed
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in _METADATA_ADDRESSES:
        return "a cloud metadata service"
    if address.is_link_local or address.is_multicast or address.is_unspecified:
        return "a link-local, multicast or unspecified address"
    return None


def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def plain_address(address: str) -> str:
    """One bare ASCII mailbox (`nino@acme.example`), checked by email-validator: no display name,
    no quoted or bracketed parts, no white space or line break, no second address. An RFC 2047
    encoded word (`=?utf-8?q?...?=`) is valid local-part text, but a mail library decodes it in a
    header into other characters (a comma, a second address): it is refused too."""
    if not isinstance(address, str):
        raise ValueError(f"{address!r} is not an email address")
    if "=?" in address:
        raise ValueError(f"{address!r} looks like an encoded header word, not a plain email address")
    try:
        checked = validate_email(
            address,
            check_deliverability=False,  # no DNS when the config loads
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
        )
    except EmailNotValidError as error:
        raise ValueError(f"{address!r} is not a plain email address: {error}") from None
    return str(checked.normalized)


EmailAddress = Annotated[str, AfterValidator(plain_address)]


_REGIONS = ("Europe", "Asia", "America", "Africa", "Australia", "Pacific", "Atlantic", "Indian")


def zone_for(name: str) -> ZoneInfo:
    """The IANA zone for `name`; a city filed under the wrong region (`Europe/Tbilisi` is
    `Asia/Tbilisi` in the IANA database) is found under its real one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    region, _, city = name.rpartition("/")
    if region in _REGIONS and city:
        for other in _REGIONS:
            try:
                return ZoneInfo(f"{other}/{city}")
            except (ZoneInfoNotFoundError, ValueError):
                continue
    raise ValueError(f"unknown time zone '{name}' (use an IANA name like 'Asia/Tbilisi')")


class Section(BaseModel):
    """Every section rejects unknown keys: a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CodingSettings(Section):
    session_gap_minutes: float = Field(120, gt=0)
    first_commit_allowance_minutes: float = Field(30, ge=0)


class Thresholds(Section):
    tactical_escalation_rate: float = Field(0.10, ge=0, le=1)
    implementation_escalation_rate: float = Field(0.25, ge=0, le=1)
    decision_yellow_hours: float = Field(24, ge=0)
    decision_red_hours: float = Field(72, ge=0)
    min_sample: int = Field(5, ge=1)  # a ratio light needs at least this many in its denominator
    stale_after_days: float = Field(28, gt=0)  # an unanswered request older than this is stale

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.decision_red_hours < self.decision_yellow_hours:
            raise ValueError("decision_red_hours must be at least decision_yellow_hours")
        return self


class GithubSettings(Section):
    allow_insecure: bool = False
    base_url: str = "https://api.github.com"
    token: SecretRef = "env:GITHUB_TOKEN"
    repos: list[str] = []
    api: Literal["auto", "graphql", "rest"] = "auto"
    max_rate_limit_wait_seconds: float = Field(900, ge=0)
    page_size: int = Field(50, ge=1, le=100)
    overlap_minutes: float = Field(5, ge=0)
    max_retries: int = Field(4, ge=0, le=20)  # retries of one request after a 5xx, timeout or drop

    @field_validator("repos")
    @classmethod
    def _owner_slash_name(cls, repos: list[str]) -> list[str]:
        for repo in repos:
            owner, _, name = repo.partition("/")
            if not owner or not name or "/" in name:
                raise ValueError(f"'{repo}' is not of the form owner/name")
        return repos

    @field_validator("base_url")
    @classmethod
    def _safe_url(cls, url: str, info: ValidationInfo) -> str:
        return check_base_url(url, bool(info.data.get("allow_insecure")))


class JiraSettings(Section):
    allow_insecure: bool = False
    url: str
    flavor: Literal["cloud", "server"] = "cloud"
    user: SecretRef | None = None
    token: SecretRef = "env:JIRA_TOKEN"
    projects: list[str] = []
    decision_statuses: list[str] = ["Needs Decision"]
    page_size: int = Field(100, ge=1, le=100)
    overlap_minutes: float = Field(5, ge=0)
    max_retries: int = Field(5, ge=0, le=20)  # retries of one request after a 429, 5xx or timeout

    @field_validator("url")
    @classmethod
    def _safe_url(cls, url: str, info: ValidationInfo) -> str:
        return check_base_url(url, bool(info.data.get("allow_insecure")))


class CategoryRule(Section):
    labels: list[str] = []
    issue_types: list[str] = []
    components: list[str] = []


class Delegation(Section):
    strategic: CategoryRule = CategoryRule()
    implementation: CategoryRule = CategoryRule()
    tactical: CategoryRule = CategoryRule()
    handover_labels: list[str] = ["handover"]


class Escalation(Section):
    labels: list[str] = ["escalation", "needs-manager"]
    reasons: dict[str, str] = {}


class EmailSettings(Section):
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: SecretRef | None = None
    password: SecretRef | None = None
    from_: str | None = Field(None, alias="from")
    credentials_block: str | None = None

    @model_validator(mode="after")
    def _one_way_to_send(self) -> EmailSettings:
        if self.credentials_block is None and self.smtp_host is None:
            raise ValueError("needs smtp_host or credentials_block")
        if self.credentials_block is not None and self.smtp_host is not None:
            raise ValueError("give smtp_host or credentials_block, not both")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        if not self.from_:
            raise ValueError("'from' is required: a real sender such as 'Radar <radar@acme.example>'")
        return self


class Schedule(Section):
    cron: str = "0 15 * * 5"  # Friday 15:00 in `timezone`, about the week in progress

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, cron: str) -> str:
        """Five fields that `radar serve` can schedule: Prefect's own Cron schedule (its vendored
        croniter) accepts them, and cronsim finds a time they fire (croniter takes `0 0 30 2 *`)
        and names what is wrong (`Bad minute`)."""
        from datetime import datetime

        from cronsim import CronSim, CronSimError
        from prefect.schedules import Cron

        if len(cron.split()) != 5:
            raise ValueError(f"'{cron}' is not a five-field cron expression")
        try:
            CronSim(cron, datetime(2026, 1, 1))
        except CronSimError as error:
            raise ValueError(f"'{cron}' is not a valid cron expression ({error})") from None
        try:
            Cron(cron)
        except ValueError:  # pydantic's ValidationError
            raise ValueError(f"'{cron}' is not a cron expression Prefect can schedule") from None
        return cron


class Runner(Section):
    """How Prefect runs tasks: a bounded thread pool, or Dask (local cluster or an address)."""

    task_runner: Literal["threads", "dask"] = "threads"
    max_workers: int = Field(4, ge=1)
    dask_address: str | None = None
    dask_workers: int = Field(2, ge=1)
    # A repo or project task that failed with a transient error is run again this many times,
    # after these pauses (the last one repeats); 0 turns the task retries off.
    sync_retries: int = Field(2, ge=0, le=10)
    sync_retry_delay_seconds: list[float] = Field(default_factory=lambda: [30.0, 120.0])

    @field_validator("sync_retry_delay_seconds")
    @classmethod
    def _delays(cls, delays: list[float]) -> list[float]:
        if not delays or any(delay < 0 for delay in delays):
            raise ValueError("needs at least one pause, none negative")
        return delays


class SlackSettings(Section):
    """[slack]: an incoming webhook (a secret reference) for every team's Block Kit summary."""

    webhook: SecretRef | None = None


class Digest(Section):
    """[[digests]]: the comparison of some teams (default: all), mailed once a week."""

    name: str = Field(min_length=1)
    email_to: list[str] = Field(min_length=1)
    teams: list[str] | None = None


class Person(Section):
    id: str = Field(min_length=1)
    name: str | None = None
    github: list[str] = []
    jira: list[str] = []
    emails: list[str] = []

    @property
    def display_name(self) -> str:
        return self.name or self.id


_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
PLAN_CATEGORIES = ("tactical", "implementation")


def iso_week_monday(label: str) -> date:
    """The Monday of an ISO week label like `2026-W40`; ValueError when it names no week."""
    match = _ISO_WEEK.match(label)
    try:
        if match is None:
            raise ValueError
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError(f"'{label}' is not an ISO week like 2026-W40") from None


class PlanPhase(Section):
    """One step of a team's delegation plan (SPEC §8): the category handed over, and since when."""

    category: str
    since: str

    @field_validator("category")
    @classmethod
    def _handed_over(cls, category: str) -> str:
        if category == "strategic":
            raise ValueError(
                "strategic work stays with the manager; a plan hands over tactical or implementation"
            )
        if category not in PLAN_CATEGORIES:
            raise ValueError(f"'{category}' is not a category to hand over (tactical or implementation)")
        return category

    @field_validator("since")
    @classmethod
    def _iso_week(cls, since: str) -> str:
        iso_week_monday(since)
        return since

    @property
    def monday(self) -> date:
        return iso_week_monday(self.since)


class Team(Section):
    name: str = Field(min_length=1)
    manager: str
    members: list[str] = []
    email_to: list[EmailAddress] = []
    repos: list[str] | None = None
    jira_projects: list[str] | None = None
    slack_webhook: SecretRef | None = None
    delegation_plan: list[PlanPhase] = []

    @field_validator("delegation_plan")
    @classmethod
    def _one_phase_per_category(cls, plan: list[PlanPhase]) -> list[PlanPhase]:
        categories = [phase.category for phase in plan]
        for category in categories:
            if categories.count(category) > 1:
                raise ValueError(f"'{category}' has more than one phase")
        return plan


class WebSettings(Section):
    """`radar web`: where the check-in form is reachable, so pages and messages can link to it."""

    base_url: str | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"'{url}' must be an http:// or https:// URL, like http://127.0.0.1:8765")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials in the URL")
        return url.rstrip("/")


class Config(Section):
    timezone: str = "UTC"
    work_hours_per_week: float = Field(40, gt=0)
    store: str = "data"
    output: str = "out"
    bots: list[str] = []
    coding: CodingSettings = CodingSettings()
    thresholds: Thresholds = Thresholds()
    github: GithubSettings | None = None
    jira: JiraSettings | None = None
    delegation: Delegation = Delegation()
    escalation: Escalation = Escalation()
    email: EmailSettings | None = None
    schedule: Schedule = Schedule()
    runner: Runner = Runner()
    slack: SlackSettings | None = None
    digests: list[Digest] = []
    web: WebSettings = WebSettings()
    people: list[Person] = []
    teams: list[Team] = []

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source: Path | None = PrivateAttr(default=None)

    @field_validator("store")
    @classmethod
    def _store_location(cls, value: str) -> str:
        """A folder, or `s3://bucket/prefix` (§9); no other scheme, no credentials in it."""
        if "://" not in value:
            return value
        if not value.startswith("s3://"):
            raise ValueError("an object store must be an s3:// location (s3://bucket/prefix)")
        from core.objectstore import S3Location

        S3Location.parse(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        zone_for(name)
        return name

    @property
    def zone(self) -> ZoneInfo:
        return zone_for(self.timezone)

    @property
    def store_path(self) -> Path | str:
        """The store's folder, or its `s3://bucket/prefix` location as written (for `Store`)."""
        if self.store.startswith("s3://"):
            return self.store
        return _resolve(self._base_dir, self.store)

    @property
    def output_path(self) -> Path:
        return _resolve(self._base_dir, self.output)

    @property
    def source(self) -> Path | None:
        return self._source

    @property
    def decision_statuses(self) -> list[str]:
        return self.jira.decision_statuses if self.jira else ["Needs Decision"]

    def person(self, person_id: str) -> Person:
        return next(p for p in self.people if p.id == person_id)

    def managed_teams(self, manager: str) -> list[Team]:
        """Every team this person manages, in config order."""
        return [team for team in self.teams if team.manager == manager]

    def reports(self, manager: str) -> int:
        """Distinct people in `members` over every team this person manages (SPEC §5.1)."""
        return len({member for team in self.managed_teams(manager) for member in team.members})

    def team_repos(self, team: Team) -> list[str] | None:
        """The team's repos; None means every repo in the store (no [github] repos listed)."""
        if team.repos is not None:
            return team.repos
        if self.github is not None and self.github.repos:
            return self.github.repos
        return None

    def team_projects(self, team: Team) -> list[str] | None:
        """The team's Jira projects; None means every project in the store."""
        if team.jira_projects is not None:
            return team.jira_projects
        if self.jira is not None and self.jira.projects:
            return self.jira.projects
        return None

    def all_repos(self) -> list[str]:
        """Every repo to sync: [github].repos plus any a team names, in first-seen order."""
        repos = list(self.github.repos) if self.github else []
        for team in self.teams:
            repos += [r for r in team.repos or [] if r not in repos]
        return repos

    def all_projects(self) -> list[str]:
        projects = list(self.jira.projects) if self.jira else []
        for team in self.teams:
            projects += [p for p in team.jira_projects or [] if p not in projects]
        return projects

    def team_webhook(self, team: Team) -> str | None:
        """The Slack webhook reference for `team`: its own, else [slack] webhook, else none."""
        return team.slack_webhook or (self.slack.webhook if self.slack else None)

    def digest_teams(self, digest: Digest) -> list[Team]:
        """A digest's teams in config order (every team when it names none)."""
        if digest.teams is None:
            return list(self.teams)
        return [team for team in self.teams if team.name in digest.teams]

    def problems(self) -> list[str]:
        """Cross-reference checks that pydantic cannot express field by field."""
        return cross_reference_problems(self.model_dump(by_alias=True))


def cross_reference_problems(data: dict[str, Any]) -> list[str]:
    """People and teams that refer to each other: works on raw TOML data too, so these problems
    are reported together with the field errors."""
    found: list[str] = []
    people = [p for p in data.get("people") or [] if isinstance(p, dict)]
    ids = [p.get("id") for p in people]
    for i, person_id in enumerate(ids):
        if person_id is not None and person_id in ids[:i]:
            found.append(f"people[{i}].id: '{person_id}' is listed twice")
    owners: dict[tuple[str, str], Any] = {}
    for i, person in enumerate(people):
        for kind in ("github", "jira", "emails"):
            values = person.get(kind) or []
            for value in values if isinstance(values, list) else []:
                if not isinstance(value, str):
                    continue
                key = (kind, value if kind == "jira" else value.lower())
                if key in owners and owners[key] != person.get("id"):
                    found.append(f"people[{i}].{kind}: '{value}' already belongs to '{owners[key]}'")
                owners.setdefault(key, person.get("id"))
    names: set[str] = set()
    teams = data.get("teams") or []
    for i, team in enumerate(teams if isinstance(teams, list) else []):
        if not isinstance(team, dict):
            continue
        where = f"teams[{i}]"
        name, manager = team.get("name"), team.get("manager")
        if isinstance(name, str):
            if name in names:
                found.append(f"{where}.name: '{name}' is used by another team")
            names.add(name)
        if isinstance(manager, str) and manager not in ids:
            found.append(f"{where}.manager: '{manager}' is not in [[people]]")
        members = team.get("members") or []
        for j, member in enumerate(members if isinstance(members, list) else []):
            if not isinstance(member, str):
                continue
            if member not in ids:
                found.append(f"{where}.members[{j}]: '{member}' is not in [[people]]")
            elif member == manager:
                found.append(
                    f"{where}.members[{j}]: '{member}' is the manager (members excludes the manager)"
                )
            elif member in members[:j]:
                found.append(f"{where}.members[{j}]: '{member}' is listed twice")
    digests = data.get("digests") or []
    seen: set[str] = set()
    for i, digest in enumerate(digests if isinstance(digests, list) else []):
        if not isinstance(digest, dict):
            continue
        if isinstance(digest.get("name"), str):
            if digest["name"] in seen:
                found.append(f"digests[{i}].name: '{digest['name']}' is used by another digest")
            seen.add(digest["name"])
        chosen = digest.get("teams") or []
        for j, team_name in enumerate(chosen if isinstance(chosen, list) else []):
            if isinstance(team_name, str) and team_name not in names:
                found.append(f"digests[{i}].teams[{j}]: '{team_name}' is not in [[teams]]")
    return found


def _resolve(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def _key_path(location: tuple[str | int, ...]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "is required"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if kind.endswith("_type") or kind.endswith("_parsing"):
        message += f" (got {error.get('input')!r})"
    return message


def parse_config(data: dict[str, Any], path: Path | str = "<config>") -> Config:
    """Validate a parsed TOML document; every problem is reported at once."""
    path = Path(path)
    problems: list[str] = []
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            location = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            problems.append(f"{_key_path(location)}: {_message(item)}")
    problems += [p for p in cross_reference_problems(data) if p not in problems]
    if problems:
        raise ConfigError(path, problems)
    config._base_dir = path.parent.resolve() if path.name != "<config>" else Path.cwd()
    config._source = path
    return config


MAX_CONFIG_BYTES = 1024 * 1024  # a radar.toml is a few kB; /dev/zero or a log file is not one


def load_config(path: Path | str) -> Config:
    """Read and validate a config file; raises ConfigError naming the file and each key."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(path, ["file not found"]) from None
    except OSError as error:
        raise ConfigError(path, [f"cannot be read: {error.strerror}"]) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(path, [f"is larger than {MAX_CONFIG_BYTES // 1024} KiB; not a radar config"])
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(path, ["is not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, [f"is not valid TOML: {error}"]) from None
    return parse_config(data, path)
