from visits.models.catalogue import (
    CatalogueStatus,
    CatalogueVersion,
    Norm,
    Question,
    QuestionType,
    RoomTask,
    RoomType,
    Section,
    Step,
)
from visits.models.sync import Conflict, Submission, VisitChange
from visits.models.visit import (
    TRANSITIONS,
    Activity,
    Channel,
    Prospect,
    Visit,
    VisitStatus,
)

__all__ = [
    "TRANSITIONS",
    "Activity",
    "CatalogueStatus",
    "CatalogueVersion",
    "Channel",
    "Conflict",
    "Norm",
    "Prospect",
    "Question",
    "QuestionType",
    "RoomTask",
    "RoomType",
    "Section",
    "Step",
    "Submission",
    "Visit",
    "VisitChange",
    "VisitStatus",
]
