"""The demo's teams: who is in each, their sources, and the colour each checklist item takes each
week (`TeamSpec.plan`); the data in demo.github and demo.jira is built to land there.

- Forecasting (4 reports): the manager delegates well; one offsite week has no activity at all.
- Churn & Retention (9 reports): the manager still codes about half the week.
- Data Platform (14 reports): the manager reviews everything; PRs and decisions wait on them.
"""

from __future__ import annotations

from dataclasses import dataclass

TIMEZONE = "Europe/Berlin"
WEEKS = 13
DEFAULT_LAST_WEEK = "2026-W47"
GITHUB_API = "https://api.github.com"
GITHUB_WEB = "https://github.com"
JIRA_URL = "https://acme.atlassian.net"
DECISION_STATUS = "Needs Decision"
HANDOVER_LABEL = "handover"
ESCALATION_LABELS = ("escalation", "needs-manager")
REASONS = {
    "stakeholder": "stakeholder-misalignment",
    "timeline-risk": "resource-timeline-risk",
    "blocked-by-other-team": "dependency",
    "model-anomaly": "unexplained-model-behaviour",
    "tech-debate": "unresolved-technical-debate",
    "scope-creep": "scope-change",
}
RELEASE_BOT = "release-bot"
DEPENDABOT = "dependabot[bot]"
CONTRACTOR_LOGIN = "jo-contractor"  # a GitHub identity that maps to no person
CONTRACTOR_EMAIL = "jo@contractor.example"
FORMER_MEMBER = "ghost"  # GitHub's placeholder for a deleted account
# Two working-day slots for coding sessions, in local minutes since midnight: (earliest start,
# latest last commit). The gap between a morning's last commit and the afternoon's first is over
# the 2 h session gap, so every slot is a session of its own.
SLOTS = ((8 * 60 + 30, 11 * 60 + 45), (14 * 60, 19 * 60))


@dataclass(frozen=True)
class TeamSpec:
    """One demo team: its people, sources, and the colour each checklist item takes each week.

    `plan` maps a checklist item to 13 letters, oldest week first: g(reen), y(ellow), r(ed),
    . (grey).
    """

    name: str
    slug: str
    manager: tuple[str, str]
    members: tuple[tuple[str, str], ...]
    repos: tuple[str, ...]
    project: str
    plan: dict[str, str]
    coding_hours: dict[str, tuple[float, float]]
    manager_pickup_hours: tuple[float, float]
    prs_per_week: tuple[int, int]
    tactical_active: tuple[int, int]
    implementation_active: tuple[int, int]
    strategic: tuple[tuple[str, str, tuple[str, ...]], ...]
    tactical_topics: tuple[str, ...]
    implementation_topics: tuple[str, ...]
    pr_topics: tuple[str, ...]
    offsite_week: int | None = None
    manager_prs: int = 0
    handover_every: int = 0
    # The Friday practice: (category, index of the start week) and (week index, 11 self-check
    # letters in metrics.selfcheck.ITEM_KEYS order: 6 mindset, then 5 technical).
    delegation_plan: tuple[tuple[str, int], ...] = ()
    checkins: tuple[tuple[int, str], ...] = ()


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec(
        name="Forecasting",
        slug="forecasting",
        delegation_plan=(("tactical", 2), ("implementation", 11)),
        checkins=((12, "gggggy" + "ggggg"),),
        manager=("mariam", "Mariam Kapanadze"),
        members=(
            ("tamar", "Tamar Beridze"),
            ("jonas", "Jonas Weber"),
            ("priya", "Priya Raman"),
            ("mateo", "Mateo Silva"),
        ),
        repos=("acme/demand-forecast",),
        project="FC",
        plan={
            "coding": "ggygg.ggggggg",
            "reviews": "ggggg.ygggggg",
            "tactical_ownership": "ggggg.gggyggg",
            "strategic_involvement": "gg.gg.gggg.gg",
            "decisions": "g.g.g.g.gy.gg",
        },
        coding_hours={"g": (6.0, 11.0), "y": (18.0, 22.0)},
        manager_pickup_hours=(0.5, 4.0),
        prs_per_week=(4, 6),
        tactical_active=(5, 8),  # at least min_sample (5): enough to judge
        implementation_active=(0, 2),
        strategic=(
            ("Epic", "Global forecasting model to replace per-store ARIMA", ()),
            ("Story", "Forecast accuracy targets for the 2027 planning cycle", ("strategy",)),
            ("Story", "Move feature pipelines onto the shared feature store", ("architecture",)),
        ),
        tactical_topics=(
            "Backfill missing weather data for the Hamburg stores",
            "Weekly forecast job failed on the holiday calendar join",
            "Update the promotion calendar for Q4",
            "Forecast dashboard shows stale numbers for region North",
            "Re-run the backtest after the price-change fix",
            "Answer the supply team's question about safety stock",
            "Rotate the service account key of the training job",
            "Investigate the spike in MAPE for frozen goods",
        ),
        implementation_topics=(
            "Design the evaluation report for hierarchical forecasts",
            "Plan the migration of training jobs to the new cluster",
            "Choose the loss for intermittent-demand products",
        ),
        pr_topics=(
            "Add holiday regressors to the weekly demand model",
            "Make the backtest window configurable per region",
            "Fix leakage in the rolling-mean features",
            "Cache weather features per store",
            "Reconcile hierarchical forecasts with MinT",
            "Extend the forecast horizon to 16 weeks",
            "Report MAPE by product category",
            "Split the training entry point into steps",
            "Handle stores that opened mid-year",
            "Log feature importances for every run",
        ),
        offsite_week=5,
        manager_prs=1,
    ),
    TeamSpec(
        name="Churn & Retention",
        slug="churn-retention",
        # Says green on coding time (the commits say red) and on team decisions (tactical: yellow).
        delegation_plan=(("tactical", 5),),
        checkins=((10, "ryyygy" + "rryyy"), (11, "yyygyy" + "yyyry"), (12, "gyygyy" + "ygyry")),
        manager=("nino", "Nino Bakradze"),
        members=(
            ("ana", "Ana Kvaratskhelia"),
            ("giorgi", "Giorgi Meladze"),
            ("luka", "Luka Tsiklauri"),
            ("sofia", "Sofia Rossi"),
            ("lena", "Lena Fischer"),
            ("omar", "Omar Haddad"),
            ("mei", "Mei Lin"),
            ("david", "David Cohen"),
            ("elif", "Elif Yilmaz"),
        ),
        repos=("acme/churn-model", "acme/feature-store"),
        project="DS",
        plan={
            "coding": "rryrrrgryrrrr",
            "reviews": "yygyyygyyygyy",
            "tactical_ownership": "yygyryygyyryy",
            "strategic_involvement": "ryrryrrryrryr",
            "decisions": "yyygyryyyyryy",
        },
        coding_hours={"r": (18.0, 23.0), "y": (10.0, 13.0), "g": (2.0, 4.0)},
        manager_pickup_hours=(2.0, 20.0),
        prs_per_week=(9, 12),
        tactical_active=(6, 9),
        implementation_active=(1, 3),
        strategic=(
            ("Epic", "Churn model v3: survival model instead of 90-day classifier", ()),
            ("Story", "Retention strategy with Marketing for 2027", ("strategy",)),
            ("Story", "Real-time scoring architecture for the save-desk", ("architecture",)),
            ("Epic", "Uplift modelling for retention offers", ()),
        ),
        tactical_topics=(
            "Churn scores missing for customers migrated from the old CRM",
            "Nightly scoring job ran twice on Sunday",
            "Marketing asks for the churn list two days earlier",
            "Update the data dictionary for the tenure features",
            "Fix the broken link to the model card",
            "Save-desk export has duplicate customer ids",
            "Re-run scoring for the Austrian market",
            "Investigate the drop in recall for prepaid customers",
            "Dashboard filter for contract type is empty",
        ),
        implementation_topics=(
            "Design the feature set for the survival model",
            "Plan the A/B test for retention offers",
            "Choose the calibration method for churn scores",
            "Modelling: handle customers with missing tenure",
        ),
        pr_topics=(
            "Calibrate churn scores with isotonic regression",
            "Add tenure buckets to the feature set",
            "Fix the SHAP export for batch scoring",
            "Point-in-time join for customer features",
            "Add a TTL to online store entries",
            "Score prepaid customers separately",
            "Speed up the nightly scoring job",
            "Add the contract-type feature",
            "Write the model card for churn v2.4",
            "Handle timezone-naive event timestamps",
            "Backfill the usage features for October",
        ),
        manager_prs=3,
        handover_every=3,
    ),
    TeamSpec(
        name="Data Platform",
        slug="data-platform",
        delegation_plan=(("tactical", 6),),
        checkins=((12, "gyrgyg" + "rrrrr"),),
        manager=("levan", "Levan Gelashvili"),
        members=(
            ("ravi", "Ravi Shankar"),
            ("hannah", "Hannah Schulz"),
            ("tomasz", "Tomasz Nowak"),
            ("ines", "Ines Duarte"),
            ("kofi", "Kofi Mensah"),
            ("yuki", "Yuki Tanaka"),
            ("marco", "Marco Bianchi"),
            ("sara", "Sara Lindqvist"),
            ("felix", "Felix Wagner"),
            ("amara", "Amara Obi"),
            ("nikolai", "Nikolai Petrov"),
            ("chloe", "Chloe Martin"),
            ("diego", "Diego Ramirez"),
            ("zara", "Zara Ahmed"),
        ),
        repos=("acme/ingest-pipelines", "acme/data-platform", "acme/feature-store"),
        project="PLAT",
        plan={
            "coding": "gggyggggygggg",
            "reviews": "rrrryrrrrrrrr",
            "tactical_ownership": "rrryrrrrryrrr",
            "strategic_involvement": "yygyyyygyyyyy",
            "decisions": "rryrrrryrrrrr",
        },
        coding_hours={"g": (1.0, 2.5), "y": (6.0, 9.0)},
        manager_pickup_hours=(8.0, 30.0),
        prs_per_week=(16, 20),
        tactical_active=(10, 14),
        implementation_active=(2, 4),
        strategic=(
            ("Epic", "Lakehouse migration off the legacy warehouse", ()),
            ("Story", "Data platform roadmap for 2027", ("strategy",)),
            ("Story", "Event streaming architecture for the ingest layer", ("architecture",)),
            ("Epic", "Self-service data contracts", ()),
            ("Story", "Cost model for compute per team", ("strategy",)),
        ),
        tactical_topics=(
            "Airflow scheduler restarts every night at 02:00",
            "S3 listing throttled during the nightly ingest",
            "Grant the finance team read access to the orders mart",
            "Kafka consumer lag on the clickstream topic",
            "dbt test failing on orders.status accepted values",
            "Rotate the warehouse service credentials",
            "Disk full on the ingest worker pool",
            "Backfill the payments table for 3 November",
            "Upgrade the Spark base image",
            "Slow query on the customer 360 view",
            "Alert fatigue: tune the freshness alerts",
            "CDC connector dropped the new column on accounts",
            "Document the on-call runbook for late data",
            "Partition the events table by ingest date",
        ),
        implementation_topics=(
            "Design the schema registry rollout",
            "Plan the cut-over of the orders pipeline",
            "Design the retention policy for raw events",
            "Planning: capacity for the Q1 lakehouse load",
        ),
        pr_topics=(
            "Retry S3 listing on throttling",
            "Partition the events table by ingest date",
            "Split the nightly DAG per source",
            "Add freshness checks to the orders mart",
            "Move secrets to the vault provider",
            "Bump the Spark base image",
            "Add a dead-letter queue to the clickstream consumer",
            "Make the backfill job idempotent",
            "Add data contracts for the payments topic",
            "Compact small files in the bronze layer",
            "Add lineage metadata to dbt models",
            "Fix timezone handling in the CDC connector",
        ),
        manager_prs=0,
    ),
)


def all_repos() -> list[str]:
    """Every demo repo once, in the order the teams name them."""
    repos: list[str] = []
    for spec in TEAMS:
        repos += [r for r in spec.repos if r not in repos]
    return repos
