"""The demo's GitHub activity: pull requests, reviews, review requests and commits, week by week."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from demo.builder import DemoBuilder, DemoPerson, PullRequest
from demo.teams import (
    CONTRACTOR_EMAIL,
    CONTRACTOR_LOGIN,
    DEPENDABOT,
    FORMER_MEMBER,
    HANDOVER_LABEL,
    RELEASE_BOT,
    SLOTS,
    TEAMS,
    WEEKS,
    TeamSpec,
)


class GithubActivity(DemoBuilder):
    """Adds each team-week's GitHub rows, following the team's plan for coding and reviews."""

    def _new_pr(
        self, repo: str, author: str, title: str, created: datetime, labels: list[str]
    ) -> PullRequest:
        self._pr_key += 1
        pr = PullRequest(repo, self._pr_key, author, title, created, labels)
        self.prs.append(pr)
        return pr

    def _sha(self) -> str:
        return f"{self.rng.getrandbits(160):040x}"

    def _commit(
        self,
        repo: str,
        person: DemoPerson | None,
        authored: datetime,
        message: str,
        pr: PullRequest | None,
        login: str | None = None,
        email: str | None = None,
    ) -> None:
        if person is not None:
            login, email = person.login, person.email
            if person.alt_email and self.rng.random() < 0.3:
                login, email = None, person.alt_email  # matched by author email only
        self.commits.append(
            {
                "repo": repo,
                "sha": self._sha(),
                "author": login,
                "author_email": email,
                "authored_at": authored,
                "committed_at": authored + timedelta(seconds=self.rng.randint(0, 900)),
                "additions": self.rng.randint(2, 240),
                "deletions": self.rng.randint(0, 90),
                "pr_number": pr.key if pr else None,
                "message_first_line": message,
            }
        )

    def _request(
        self, pr: PullRequest, reviewer: str, at: datetime, requester: str, removed: datetime | None = None
    ) -> None:
        self.requests.append(
            {
                "repo": pr.repo,
                "number": pr.key,
                "reviewer": reviewer,
                "requested_at": at,
                "requester": requester,
                "removed_at": removed,
            }
        )

    def _review(self, pr: PullRequest, reviewer: str, at: datetime, state: str = "APPROVED") -> None:
        self._review_id += self.rng.randint(3, 40)
        self.reviews.append(
            {
                "repo": pr.repo,
                "review_id": self._review_id,
                "number": pr.key,
                "reviewer": reviewer,
                "state": state,
                "submitted_at": at,
            }
        )

    def _merge(self, pr: PullRequest, at: datetime) -> None:
        pr.merged_at = pr.closed_at = pr.updated_at = at

    def _github_week(self, spec: TeamSpec, week: int) -> None:
        rng = self.rng
        manager, members = self.team_people[spec.name]
        review_letter = self._letter(spec, "reviews", week)

        # PRs left open last week: those waiting on the manager get the manager's review first.
        merged_flags: list[bool] = []
        for pr, kind in self._carry_prs[spec.name]:
            start = self.at(week, 0, rng.uniform(9 * 60, 11 * 60) // 1)
            if kind == "waiting":
                self._review(pr, manager.login, start)
                merged_flags.append(True)
            else:
                reviewer = self._other(members, pr.author)
                self._review(pr, reviewer.login, start)
                merged_flags.append(False)
            self._merge(pr, start + timedelta(hours=rng.uniform(0.5, 3)))
        self._carry_prs[spec.name] = []

        # Pull requests opened and merged in the week, some reviewed by the manager.
        count = rng.randint(*spec.prs_per_week)
        total = count + len(merged_flags)
        manager_reviewed = _review_count(review_letter if review_letter != "." else "g", total, rng)
        manager_reviewed = max(0, manager_reviewed - sum(merged_flags))
        if manager_reviewed > count:
            raise ValueError(f"{spec.name} week {week}: cannot reach the planned review share")
        chosen = [True] * manager_reviewed + [False] * (count - manager_reviewed)
        rng.shuffle(chosen)
        for by_manager in chosen:
            self._member_pr(spec, week, by_manager)

        # Open at week end: PRs waiting on the manager, Friday PRs, drafts.
        for day, minutes in self._waiting_plan(spec, week, review_letter):
            self._waiting_pr(spec, week, self.at(week, day, minutes))
        if self._carries(spec, week):
            for _ in range(rng.randint(0, 2)):
                self._friday_pr(spec, week)
        if week % 4 == 1:
            self._draft_pr(spec, week)
        if week % 5 == 3:
            self._abandoned_pr(spec, week)

        self._manager_coding(spec, week)
        for _ in range(rng.randint(0, 2)):
            author = rng.choice(members)
            self._commit(
                rng.choice(spec.repos),
                author,
                self.work_time(week, (0, 4)),
                rng.choice(("Update the README", "Pin dependencies", "Fix typo in the runbook")),
                None,
            )

    def _pr_commits(self, pr: PullRequest, author: DemoPerson, first: datetime, count: int) -> None:
        for i in range(count):
            when = first + timedelta(minutes=i * self.rng.randint(20, 80))
            message = pr.title if i == 0 else self.rng.choice(("Add tests", "Tidy up", "Handle empty input"))
            self._commit(pr.repo, author, when, message, pr)

    def _member_pr(self, spec: TeamSpec, week: int, by_manager: bool) -> None:
        rng = self.rng
        manager, members = self.team_people[spec.name]
        author = rng.choice(members)
        created = self.work_time(week, (0, 2))
        pr = self._new_pr(rng.choice(spec.repos), author.login, rng.choice(spec.pr_topics), created, [])
        if rng.random() < 0.2:
            pr.labels.append(rng.choice(("bug", "enhancement", "data-quality")))
        first = max(created - timedelta(hours=rng.uniform(1, 20)), self.at(week, 0, 7 * 60))
        self._pr_commits(pr, author, first, rng.randint(1, 4))
        times: list[datetime] = []
        reviewers = rng.sample([m for m in members if m is not author], k=1 if rng.random() < 0.6 else 2)
        swapped: list[DemoPerson] = []
        for reviewer in reviewers:
            requested = created + timedelta(minutes=rng.randint(0, 5))
            others = [m for m in members if m is not author and m not in reviewers and m not in swapped]
            if others and rng.random() < 0.1:  # reviewer swapped: the first request is removed
                swapped.append(rng.choice(others))
                self._request(pr, swapped[-1].login, requested, author.login, requested + timedelta(hours=2))
            self._request(pr, reviewer.login, requested, author.login)
            reviewed = requested + timedelta(hours=rng.uniform(0.5, 18))
            if rng.random() < 0.2:
                self._review(pr, reviewer.login, reviewed, "CHANGES_REQUESTED")
                self._commit(pr.repo, author, reviewed + timedelta(hours=1), "Address review comments", pr)
                reviewed += timedelta(hours=rng.uniform(2, 6))
            self._review(pr, reviewer.login, reviewed)
            times.append(reviewed)
        if rng.random() < 0.15:
            self._request(pr, f"team:{spec.slug}-reviewers", created, author.login)
        if by_manager:
            # The manager reviews; not always because somebody asked.
            asked = rng.random() < (0.6 if spec.slug == "data-platform" else 0.9)
            if asked:
                self._request(pr, manager.login, created, author.login)
            reviewed = created + timedelta(hours=rng.uniform(*spec.manager_pickup_hours))
            state = rng.choice(("APPROVED", "APPROVED", "COMMENTED", "CHANGES_REQUESTED"))
            self._review(pr, manager.login, reviewed, state)
            if state == "CHANGES_REQUESTED":
                reviewed += timedelta(hours=rng.uniform(2, 5))
                self._review(pr, manager.login, reviewed)
            times.append(reviewed)
        elif rng.random() < 0.15:  # asked the manager, then took the request back
            self._request(
                pr, manager.login, created, author.login, created + timedelta(hours=rng.uniform(1, 5))
            )
        self._merge(pr, max(times) + timedelta(hours=rng.uniform(0.3, 3)))

    def _waiting_plan(self, spec: TeamSpec, week: int, letter: str) -> list[tuple[int, float]]:
        """Request times (day, local minutes) of PRs left waiting on the manager at week end."""
        rng = self.rng
        red = [(2, 11 * 60), (3, 14 * 60), (4, 10 * 60)]  # 109 h, 82 h, 62 h before week end
        yellow = (5, 10 * 60 + 30)  # Saturday morning: 37.5 h
        green = (6, 18 * 60)  # Sunday evening: 6 h
        if week + 1 == spec.offsite_week:
            return []
        if letter == "r" and week % 3 != 2:
            return rng.sample(red, k=rng.randint(1, 3))
        if letter == "y" and spec.slug == "forecasting":
            return [yellow]
        if letter == "y" and spec.slug == "churn-retention" and week % 4 == 0:
            return [yellow]
        if letter in "gy" and week % 4 == 2:
            return [green]
        return []

    def _waiting_pr(self, spec: TeamSpec, week: int, requested: datetime) -> None:
        rng = self.rng
        manager, members = self.team_people[spec.name]
        author = rng.choice(members)
        pr = self._new_pr(rng.choice(spec.repos), author.login, rng.choice(spec.pr_topics), requested, [])
        pr.updated_at = requested
        self._pr_commits(pr, author, requested - timedelta(hours=rng.uniform(1, 6)), rng.randint(1, 3))
        self._request(pr, manager.login, requested, author.login)
        if week + 1 < WEEKS:
            self._carry_prs[spec.name].append((pr, "waiting"))

    def _friday_pr(self, spec: TeamSpec, week: int) -> None:
        rng = self.rng
        _, members = self.team_people[spec.name]
        author = rng.choice(members)
        created = self.at(week, 4, rng.uniform(14 * 60, 17 * 60) // 1)
        pr = self._new_pr(rng.choice(spec.repos), author.login, rng.choice(spec.pr_topics), created, [])
        pr.updated_at = created
        self._pr_commits(pr, author, created - timedelta(hours=rng.uniform(1, 5)), rng.randint(1, 3))
        self._request(pr, self._other(members, author.login).login, created, author.login)
        self._carry_prs[spec.name].append((pr, "friday"))

    def _draft_pr(self, spec: TeamSpec, week: int) -> None:
        rng = self.rng
        _, members = self.team_people[spec.name]
        author = rng.choice(members)
        created = self.work_time(week, (1, 4))
        title = "WIP: " + rng.choice(spec.pr_topics)
        pr = self._new_pr(rng.choice(spec.repos), author.login, title, created, [])
        pr.draft = True
        pr.updated_at = created
        self._pr_commits(pr, author, created - timedelta(hours=1), rng.randint(1, 3))

    def _abandoned_pr(self, spec: TeamSpec, week: int) -> None:
        rng = self.rng
        _, members = self.team_people[spec.name]
        author = rng.choice(members)
        created = self.work_time(week, (0, 2))
        pr = self._new_pr(rng.choice(spec.repos), author.login, rng.choice(spec.pr_topics), created, [])
        self._pr_commits(pr, author, created - timedelta(hours=2), 1)
        reviewer = self._other(members, author.login)
        self._request(pr, reviewer.login, created, author.login)
        self._review(pr, reviewer.login, created + timedelta(hours=3), "COMMENTED")
        pr.closed_at = pr.updated_at = created + timedelta(hours=rng.uniform(20, 40))

    def _manager_coding(self, spec: TeamSpec, week: int) -> None:
        """The manager's commits, laid out as sessions that add up to the planned coding hours."""
        rng = self.rng
        manager, members = self.team_people[spec.name]
        letter = self._letter(spec, "coding", week)
        low, high = spec.coding_hours[letter]
        quarters = round(rng.uniform(low, high) * 4)
        slots = _session_slots(quarters, rng)
        free = [s for s in range(10) if s not in [slot for slot, _ in slots]]
        sessions = [self._session(week, slot, length) for slot, length in slots]

        # Group the sessions into the manager's PRs; the rest go straight to the default branch.
        groups: list[list[list[datetime]]] = [[] for _ in range(spec.manager_prs)]
        direct: list[list[datetime]] = []
        for i, session in enumerate(sessions):
            if groups and i % 3 != 2:
                groups[i % len(groups)].append(session)
            else:
                direct.append(session)
        repo = spec.repos[0]
        for group in groups:
            if not group:
                continue
            times = sorted(t for session in group for t in session)
            pr = self._new_pr(
                repo, manager.login, rng.choice(spec.pr_topics), times[0] + timedelta(minutes=10), []
            )
            for when in times:
                self._commit(repo, manager, when, rng.choice(("WIP", "Fix the tests", pr.title)), pr)
            reviewer = rng.choice(members)
            self._request(pr, reviewer.login, pr.created_at, manager.login)
            reviewed = times[-1] + timedelta(hours=rng.uniform(0.5, 2))
            self._review(pr, reviewer.login, reviewed)
            self._merge(pr, reviewed + timedelta(minutes=rng.randint(10, 50)))
        for session in direct:
            for when in session:
                self._commit(
                    repo, manager, when, rng.choice(("Quick fix for the scoring job", "Bump version")), None
                )

        # A handover: the manager starts a PR for a report to finish; it is not coding time.
        if spec.handover_every and week % spec.handover_every == 0 and free:
            taker = rng.choice(members)
            session = self._session(week, free[0], 8)
            pr = self._new_pr(
                repo,
                manager.login,
                f"Hand over the label backfill to {taker.name.split()[0]}",
                session[0] + timedelta(minutes=5),
                [HANDOVER_LABEL],
            )
            for when in session:
                self._commit(repo, manager, when, "Pair on the backfill", pr)
            self._commit(repo, taker, session[-1] + timedelta(hours=3), "Finish the backfill", pr)
            self._request(pr, taker.login, pr.created_at, manager.login)
            reviewed = session[-1] + timedelta(hours=4)
            self._review(pr, taker.login, reviewed)
            self._merge(pr, reviewed + timedelta(minutes=30))

    def _session(self, week: int, slot: int, quarters: int) -> list[datetime]:
        """Commit times of one session in `slot` (day * 2 + morning/afternoon) lasting `quarters`."""
        rng = self.rng
        earliest, latest = SLOTS[slot % 2]
        span = (quarters - 2) * 15  # a session lasts last - first + 30 min
        start = earliest + 15 * rng.randint(0, (latest - earliest - span) // 15)
        points = (
            [0]
            if span == 0
            else [round(span * i / math.ceil(span / 70)) for i in range(math.ceil(span / 70) + 1)]
        )
        jittered = [p if p in (0, span) else p + rng.randint(-10, 10) for p in points]
        return [self.at(week, slot // 2, start + p) for p in jittered]

    def _bots_week(self, week: int) -> None:
        """Dependabot PRs, the release bot, the unmapped contractor and a deleted account."""
        rng = self.rng
        busy = {spec.repos[0] for spec in TEAMS if spec.offsite_week == week}
        repos = sorted({repo for spec in TEAMS for repo in spec.repos} - busy)
        owners = {repo: spec for spec in reversed(TEAMS) for repo in spec.repos}
        for index, repo in enumerate(repos):
            _, members = self.team_people[owners[repo].name]
            if (week + index) % 2 == 0:
                package = rng.choice(("polars", "pydantic", "requests", "pyarrow", "scikit-learn"))
                old = rng.randint(2, 9)
                created = self.at(week, 0, 6 * 60 + rng.randint(0, 59))
                title = f"Bump {package} from 1.{old}.0 to 1.{old + 1}.0"
                pr = self._new_pr(repo, DEPENDABOT, title, created, ["dependencies"])
                self._commit(
                    repo,
                    None,
                    created,
                    title,
                    pr,
                    DEPENDABOT,
                    "49699333+dependabot[bot]@users.noreply.github.com",
                )
                reviewer = rng.choice(members)
                self._request(pr, reviewer.login, created, DEPENDABOT)
                self._review(pr, reviewer.login, created + timedelta(hours=rng.uniform(3, 8)))
                self._merge(pr, created + timedelta(hours=9))
            self._commit(
                repo,
                None,
                self.at(week, 4, 16 * 60 + index),
                f"chore(release): {self.weeks[week].label.lower()}.0",
                None,
                RELEASE_BOT,
                "release-bot@acme.example",
            )

        _, churn = self.team_people["Churn & Retention"]
        if week % 2 == 0:
            created = self.work_time(week, (0, 2))
            pr = self._new_pr(
                "acme/churn-model", CONTRACTOR_LOGIN, "Add the campaign-response feature", created, []
            )
            self._commit(
                pr.repo,
                None,
                created - timedelta(hours=3),
                "Campaign feature",
                pr,
                CONTRACTOR_LOGIN,
                CONTRACTOR_EMAIL,
            )
            self._commit(pr.repo, None, created - timedelta(hours=2), "Add tests", pr, None, CONTRACTOR_EMAIL)
            reviewer = rng.choice(churn)
            self._request(pr, reviewer.login, created, CONTRACTOR_LOGIN)
            self._review(pr, reviewer.login, created + timedelta(hours=5))
            self._merge(pr, created + timedelta(hours=6))
        else:
            logins = [m.login for m in churn]
            start = self.weeks[week].start
            recent = [
                pr
                for pr in self.prs
                if pr.repo == "acme/churn-model"
                and pr.merged_at
                and pr.author in logins
                and pr.created_at >= start
            ]
            if recent:
                pr = recent[-1]
                self._review(pr, CONTRACTOR_LOGIN, pr.created_at + timedelta(minutes=40), "COMMENTED")
        if week == 0:
            platform = [pr for pr in self.prs if pr.repo == "acme/ingest-pipelines" and pr.merged_at]
            pr = platform[0]
            self._review(pr, FORMER_MEMBER, pr.created_at + timedelta(minutes=30), "COMMENTED")


def _session_slots(quarters: int, rng: random.Random) -> list[tuple[int, int]]:
    """Spread `quarters` (15-minute units) over morning/afternoon slots as (slot, length) pairs."""
    capacity = {0: (SLOTS[0][1] - SLOTS[0][0]) // 15 + 2, 1: (SLOTS[1][1] - SLOTS[1][0]) // 15 + 2}
    count = max(1, math.ceil(quarters / 14))
    slots = sorted(rng.sample(range(10), k=count))
    lengths = {slot: 2 for slot in slots}
    remaining = quarters - 2 * count
    while remaining > 0:
        open_slots = [slot for slot in slots if lengths[slot] < capacity[slot % 2] - 1]
        slot = rng.choice(open_slots)
        lengths[slot] += 1
        remaining -= 1
    return [(slot, lengths[slot]) for slot in slots]


def _review_count(letter: str, merged: int, rng: random.Random) -> int:
    """How many of `merged` PRs the manager reviews for the share colour `letter`."""
    share = {"g": rng.uniform(0.0, 0.18), "y": rng.uniform(0.3, 0.45), "r": rng.uniform(0.65, 0.9)}[letter]
    count = round(share * merged)
    lower, upper = {"g": (0.0, 0.25), "y": (0.25, 0.5), "r": (0.5, 1.01)}[letter]
    while count / max(merged, 1) >= upper:
        count -= 1
    while count / max(merged, 1) < lower:
        count += 1
    return count
