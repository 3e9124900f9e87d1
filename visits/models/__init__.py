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
    "Norm",
    "Prospect",
    "Question",
    "QuestionType",
    "RoomTask",
    "RoomType",
    "Section",
    "Step",
    "Visit",
    "VisitStatus",
]
