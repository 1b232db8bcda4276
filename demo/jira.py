"""The demo's Jira activity: issues, their changelogs and comments, escalations and decisions."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from demo.builder import DemoBuilder, Issue, Request
from demo.teams import DECISION_STATUS, ESCALATION_LABELS, REASONS, WEEKS, TeamSpec


class JiraActivity(DemoBuilder):
    """Adds each team-week's Jira rows, following the team's plan for ownership and decisions."""

    def _new_issue(
        self,
        spec: TeamSpec,
        issue_type: str,
        summary: str,
        labels: list[str],
        components: list[str],
        reporter: str,
        created: datetime,
    ) -> Issue:
        self._issue_key += 1
        issue = Issue(
            self._issue_key, spec.project, issue_type, summary, labels, components, reporter, created
        )
        issue.touched.append(created)
        self.issues.append(issue)
        return issue

    def _event(
        self, issue: Issue, at: datetime, actor: str, changes: list[tuple[str, str | None, str | None]]
    ) -> None:
        """One changelog history: several field changes under one id."""
        self._history_id += self.rng.randint(1, 9)
        for name, old, new in changes:
            self.events.append(
                {
                    "key": issue.key,
                    "event_id": str(self._history_id),
                    "field": name,
                    "at": at,
                    "actor": actor,
                    "from_value": old,
                    "to_value": new,
                }
            )
            if name == "status" and new is not None:
                issue.status = new
            if name == "assignee":
                issue.assignee = new
        issue.touched.append(at)

    def _status(self, issue: Issue, at: datetime, actor: str, new: str) -> None:
        changes: list[tuple[str, str | None, str | None]] = [("status", issue.status, new)]
        if new == "Done":
            changes.append(("resolution", None, "Done"))
            issue.resolved_at = at
        self._event(issue, at, actor, changes)

    def _comment(self, issue: Issue, at: datetime, author: str, mentions: list[str]) -> None:
        self._comment_id += self.rng.randint(1, 7)
        self.comments.append(
            {
                "key": issue.key,
                "comment_id": str(self._comment_id),
                "author": author,
                "created_at": at,
                "mentions": mentions,
            }
        )
        issue.touched.append(at)

    def _strategic_pool(self, spec: TeamSpec) -> None:
        manager, _ = self.team_people[spec.name]
        pool: list[Issue] = []
        for issue_type, summary, labels in spec.strategic:
            created = self.weeks[0].start - timedelta(
                days=self.rng.randint(12, 70), hours=self.rng.randint(0, 8)
            )
            issue = self._new_issue(spec, issue_type, summary, list(labels), [], manager.jira, created)
            issue.status = "In Progress"
            issue.assignee = manager.jira if issue_type == "Epic" else None
            pool.append(issue)
        self._pools[spec.name] = pool

    def _jira_week(self, spec: TeamSpec, week: int) -> None:
        rng = self.rng
        manager, members = self.team_people[spec.name]
        decisions = self._letter(spec, "decisions", week)
        tactical = self._letter(spec, "tactical_ownership", week)
        strategic = self._letter(spec, "strategic_involvement", week)

        # Requests carried from last week are answered early in this one.
        for issue, request in self._carry_requests[spec.name]:
            assert request.carry_to is not None
            self._comment(issue, request.carry_to, manager.jira, [])
            self._status(issue, request.carry_to + timedelta(hours=2), rng.choice(members).jira, "Done")
        self._carry_requests[spec.name] = []

        active, escalated = _tactical_counts(tactical, rng.randint(*spec.tactical_active))
        quiet = decisions == "."
        if quiet and escalated:
            raise ValueError(f"{spec.name} week {week}: escalations planned in a week without decisions")

        pool = self._pools[spec.name]
        involved, touched = _strategic_counts(strategic, len(pool), rng)
        chosen = rng.sample(pool, k=touched)
        strategic_escalations = 1 if not quiet and involved and rng.random() < 0.5 else 0
        implementation = rng.randint(*spec.implementation_active)
        implementation_escalations = 1 if not quiet and implementation and rng.random() < 0.4 else 0
        if not quiet and escalated + strategic_escalations + implementation_escalations == 0:
            implementation = max(implementation, 1)
            implementation_escalations = 1

        # One request per escalation; the first carries the week's planned longest wait.
        count = escalated + strategic_escalations + implementation_escalations
        requests = [self._planned_request(decisions, week, i == 0) for i in range(count)]
        categories = ["tactical"] * escalated + ["strategic"] * strategic_escalations
        categories += ["implementation"] * implementation_escalations
        rng.shuffle(categories)
        for request, category in zip(requests, categories, strict=True):
            request.category = category
        if spec.slug == "data-platform" and week % 4 == 1:
            # Resolved by the team before the manager answered: closed, neither waiting nor answered.
            closable = [r for r in requests[1:] if r.category == "tactical"]
            if closable:
                closable[0].close_unanswered = True

        by_category: dict[str, list[Request]] = {"tactical": [], "strategic": [], "implementation": []}
        for request in requests:
            by_category[request.category].append(request)

        # Tactical work: escalated issues first, then the quiet ones.
        for request in by_category["tactical"]:
            self._escalated_issue(spec, week, "tactical", request)
        self_assigned = spec.slug == "churn-retention" and self._letter(spec, "coding", week) == "r"
        for i in range(active - escalated):
            self._quiet_issue(spec, week, "tactical", manager_takes=self_assigned and i == 0)

        for request in by_category["implementation"]:
            self._escalated_issue(spec, week, "implementation", request)
        for _ in range(implementation - len(by_category["implementation"])):
            self._quiet_issue(spec, week, "implementation")
        if decisions == "r" and spec.slug == "data-platform" and week % 2 == 0:
            # A decision left pending over the weekend, answered next week (or never, in the last).
            request = Request("implementation", self.at(week, 2, 10 * 60 + rng.randint(0, 50)))
            if week + 1 < WEEKS and self._letter(spec, "decisions", week + 1) == "r":
                request.carry_to = self.at(week + 1, 1, 10 * 60 + rng.randint(0, 50))
                issue = self._escalated_issue(spec, week, "implementation", request)
                self._carry_requests[spec.name].append((issue, request))
            elif week + 1 == WEEKS:
                self._escalated_issue(spec, week, "implementation", request)

        # Strategic work: every touched issue moves; the manager takes part in `involved` of them.
        for i, issue in enumerate(chosen):
            author = rng.choice(members)
            self._comment(issue, self.work_time(week, (0, 4)), author.jira, [rng.choice(members).jira])
            if i >= involved:
                continue
            escalation = by_category["strategic"][0] if i == 0 and by_category["strategic"] else None
            if escalation is not None:
                assert escalation.latency is not None
                self._comment(issue, escalation.at, author.jira, [manager.jira])
                self._comment(
                    issue, escalation.at + timedelta(hours=escalation.latency), manager.jira, [author.jira]
                )
            else:
                self._comment(issue, self.work_time(week, (0, 4)), manager.jira, [author.jira])

    def _planned_request(self, letter: str, week: int, slowest: bool) -> Request:
        """A request time and answer latency (hours) that keep the week's decision colour."""
        rng = self.rng
        if slowest and letter == "r":
            return Request("", self.at(week, 0, rng.uniform(9 * 60, 10 * 60 + 30) // 1), rng.uniform(76, 92))
        if slowest and letter == "y":
            return Request("", self.work_time(week, (0, 1), (9, 12)), rng.uniform(27, 50))
        return Request("", self.work_time(week, (0, 3), (9, 15)), rng.uniform(0.5, 6))

    def _escalated_issue(self, spec: TeamSpec, week: int, category: str, request: Request) -> Issue:
        """An issue escalated to the manager at `request.at`, answered as the request says."""
        rng = self.rng
        manager, members = self.team_people[spec.name]
        owner = rng.choice(members)
        reason = rng.choice(sorted(REASONS)) if rng.random() < 0.8 else None
        labels, components = self._category_tags(category)
        if reason:
            labels.append(reason)
        summary = self._summary(spec, category)
        created = max(self.at(week, 0, 8 * 60), request.at - timedelta(hours=rng.uniform(0.5, 20)))
        reporter = self.stakeholder_jira if rng.random() < 0.2 else rng.choice(members).jira
        issue = self._new_issue(spec, "Story", summary, labels, components, reporter, created)
        self._event(issue, created + (request.at - created) / 3, owner.jira, [("assignee", None, owner.jira)])
        self._status(issue, created + (request.at - created) * 2 / 3, owner.jira, "In Progress")

        kind = rng.choice(("label", "assigned", "decision_status", "mention"))
        if request.close_unanswered and kind == "decision_status":
            kind = "label"  # leaving a decision status would answer the request
        if kind == "label":
            old = " ".join(issue.labels)
            issue.labels = [*issue.labels, rng.choice(ESCALATION_LABELS)]
            self._event(issue, request.at, owner.jira, [("labels", old or None, " ".join(issue.labels))])
        elif kind == "assigned":
            self._event(issue, request.at, owner.jira, [("assignee", owner.jira, manager.jira)])
        elif kind == "decision_status":
            self._status(issue, request.at, owner.jira, DECISION_STATUS)
        else:
            author = self.stakeholder_jira if rng.random() < 0.25 else owner.jira
            self._comment(issue, request.at, author, [manager.jira])

        if request.close_unanswered:
            self._status(issue, request.at + timedelta(hours=2), owner.jira, "Done")
            return issue
        if request.latency is None:
            return issue  # answered next week, or pending at the end
        answer = request.at + timedelta(hours=request.latency)
        if kind == "assigned":
            self._event(issue, answer, manager.jira, [("assignee", manager.jira, owner.jira)])
        elif kind == "decision_status" and rng.random() < 0.4:
            self._status(
                issue, answer, owner.jira, "In Progress"
            )  # decided in stand-up: the status exit answers
        else:
            self._comment(issue, answer, manager.jira, [owner.jira])
        if issue.status == DECISION_STATUS:
            self._status(issue, answer + timedelta(minutes=rng.randint(5, 60)), owner.jira, "In Progress")
        done = answer + timedelta(hours=rng.uniform(1, 6))
        if done < self.late(week) and rng.random() < 0.8:
            self._status(issue, done, owner.jira, "Done")
        return issue

    def _quiet_issue(self, spec: TeamSpec, week: int, category: str, manager_takes: bool = False) -> None:
        """An issue the team handles on its own within the week."""
        rng = self.rng
        manager, members = self.team_people[spec.name]
        labels, components = self._category_tags(category)
        if rng.random() < 0.25:
            labels.append(rng.choice(("bug", "data-quality", "ops")))
        created = self.work_time(week, (0, 3), (8, 16))
        reporter = self.stakeholder_jira if rng.random() < 0.15 else rng.choice(members).jira
        issue_type = rng.choice(("Task", "Bug", "Story")) if category == "tactical" else "Story"
        issue = self._new_issue(
            spec, issue_type, self._summary(spec, category), labels, components, reporter, created
        )
        owner = manager if manager_takes else rng.choice(members)
        step = timedelta(hours=rng.uniform(0.5, 5))
        self._event(issue, created + step, owner.jira, [("assignee", None, owner.jira)])
        self._status(issue, created + 2 * step, owner.jira, "In Progress")
        if rng.random() < 0.5:
            colleague = self._other(members, owner.login)
            mentions = [owner.jira] if owner is not manager and rng.random() < 0.5 else []
            self._comment(issue, created + 3 * step, colleague.jira, mentions)
        if rng.random() < 0.2:
            issue.parent = rng.choice(self._pools[spec.name]).key
        if rng.random() < 0.2:
            old = " ".join(issue.labels)
            issue.labels = [*issue.labels, "needs-review"]
            self._event(
                issue, created + 3 * step, owner.jira, [("labels", old or None, " ".join(issue.labels))]
            )
        done = created + 4 * step + timedelta(hours=rng.uniform(1, 20))
        if done < self.late(week) and rng.random() < 0.8:
            self._status(issue, done, owner.jira, "Done")

    def _category_tags(self, category: str) -> tuple[list[str], list[str]]:
        if category == "implementation":
            choice = self.rng.choice(("design", "planning", "modelling"))
            return ([], [choice]) if choice == "modelling" else ([choice], [])
        if category == "strategic":
            return (["architecture"], [])
        return ([], [self.rng.choice(("pipeline", "dashboards", "api"))] if self.rng.random() < 0.5 else [])

    def _summary(self, spec: TeamSpec, category: str) -> str:
        topics = spec.implementation_topics if category == "implementation" else spec.tactical_topics
        return self.rng.choice(topics)


def _tactical_counts(letter: str, active: int) -> tuple[int, int]:
    """(active, escalated) tactical issues for the tactical-ownership colour `letter`: the rate
    stays well inside its band (green <= 10 %, yellow <= 20 %, red above)."""
    if letter == ".":
        return 0, 0
    if letter == "g":
        return active, 0
    if letter == "y":
        while not 0.11 < max(1, round(active * 0.15)) / active < 0.19:
            active += 1
        return active, max(1, round(active * 0.15))
    return active, max(math.ceil(active * 0.3), 2)


def _strategic_counts(letter: str, pool: int, rng: random.Random) -> tuple[int, int]:
    """(manager-involved, active) strategic issues for the strategic-involvement colour `letter`."""
    if letter == ".":
        return 0, 0
    if letter == "g":
        active = rng.randint(1, min(3, pool))
        return active, active
    if letter == "y":
        return rng.choice([(1, 2), (2, 3), (2, 4), (3, 4)][: 2 if pool < 4 else 4])
    return rng.choice([(0, 1), (0, 2), (1, 3)])
