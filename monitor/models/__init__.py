"""The monitor's tables. Each module holds one part of the data model; importing this package
registers all of them on ``Base.metadata`` (which Alembic compares against the migrations)."""

from monitor.models.base import Base
from monitor.models.sources import FETCH_OUTCOMES, FetchRun, Snapshot, SourceRow
from monitor.models.health import (
    HEALTH_STATES,
    HttpValidator,
    SourceHealth,
    SourceHealthEvent,
)
from monitor.models.reports import (
    CountObservation,
    Parse,
    ParseProblem,
    Report,
    ListingPage,
    ReportListing,
    Statement,
)
from monitor.models.figures import FigureVersion
from monitor.models.archive import CaptureRow  # noqa: F401 - registers the captures table
from monitor.models.findings import (  # noqa: F401 - registers the findings tables
    FINDING_STATES,
    AuditEntry,
    FindingRow,
    FindingTransition,
    ManualEvidence,
)
from monitor.models.candidates import (  # noqa: F401 - registers the discovery tables
    CANDIDATE_STATUSES,
    CitationVerification,
    RequirementCandidate,
)
from monitor.models.commands import COMMAND_STATES, CommandRun  # noqa: F401
from monitor.models.congress import (  # noqa: F401 - registers Congress's record
    CongressCommunicationRow,
    CongressTerm,
    CongressRequirementRow,
)
from monitor.models.delivery import (  # noqa: F401 - registers the outbox tables
    DELIVERY_STATES,
    Delivery,
    DeliveryAttempt,
    OutboxItem,
    OutboxMessage,
)

__all__ = [
    "Base",
    "FETCH_OUTCOMES",
    "FetchRun",
    "Snapshot",
    "SourceRow",
    "HEALTH_STATES",
    "HttpValidator",
    "SourceHealth",
    "SourceHealthEvent",
    "CountObservation",
    "Parse",
    "ParseProblem",
    "Report",
    "ListingPage",
    "ReportListing",
    "Statement",
    "FigureVersion",
]
from monitor.models.service import ServiceLeader, ServiceRun  # noqa: E402,F401 - registers them
from monitor.models.evaluation import ObligationEvaluation  # noqa: E402,F401 - registers it
from monitor.models.publications import PublicationRevision  # noqa: E402,F401 - registers it
from monitor.models.decisions import CandidateDecision  # noqa: E402,F401 - registers it
