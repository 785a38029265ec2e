"""The data model. Importing this package registers every table on ``Base.metadata``."""

from server.models.audit import AuditEntry
from server.models.base import Base, SyncRecord, utcnow
from server.models.catalog import DayOffDecision, Procedure
from server.models.dossiers import (
    Attachment,
    Blob,
    BlobHolder,
    Dossier,
    DossierApology,
    DossierEvent,
)
from server.models.feedback import Feedback
from server.models.ops import DailyReport, JobRun, Notice, OfficerAlert, ServerMeta
from server.models.people import Device, Officer, Role
from server.models.ratings import CommentStatus, ServiceRating
from server.models.surveys import FormStatus, SurveyForm, SurveyResponse, survey_form_commune
from server.models.sync_state import AppliedOperation, ScopeEntry, SyncConflict, SyncCounter
from server.models.units import AdminUnit, UnitLevel

__all__ = [
    "AdminUnit",
    "AppliedOperation",
    "Attachment",
    "AuditEntry",
    "Base",
    "Blob",
    "BlobHolder",
    "CommentStatus",
    "DailyReport",
    "DayOffDecision",
    "Device",
    "Dossier",
    "DossierApology",
    "DossierEvent",
    "Feedback",
    "FormStatus",
    "JobRun",
    "Notice",
    "Officer",
    "OfficerAlert",
    "Procedure",
    "Role",
    "ScopeEntry",
    "ServerMeta",
    "ServiceRating",
    "SurveyForm",
    "SurveyResponse",
    "SyncConflict",
    "SyncCounter",
    "SyncRecord",
    "UnitLevel",
    "survey_form_commune",
    "utcnow",
]
