"""The bus between NOMAD and the back office, as tables.

Outbound: ``OutboxEvent`` rows are written by the domain services in the transaction of
the change; the relay publishes them and marks them sent. Inbound: ``ProcessedEvent``
remembers every back-office event applied (deduplication), ``InboundVersion`` the
newest version applied per back-office record (reordering), ``DeadLetter`` the messages
that could not be applied (for a person to look at and retry), ``ConsumerLag`` how far
the consumer is behind each partition (for the metrics).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


def _empty() -> dict[str, Any]:
    return {}


class OutboxEvent(models.Model):
    """One CloudEvent waiting for (or already through) the relay."""

    id = models.UUIDField(_("event id"), primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(_("type"), max_length=60, db_index=True)
    source = models.CharField(_("source"), max_length=120)
    aggregate_type = models.CharField(_("aggregate type"), max_length=30)
    aggregate_id = models.CharField(_("aggregate id"), max_length=60)
    subject = models.CharField(_("subject"), max_length=120)
    data = models.JSONField(_("data"), default=_empty)
    created_at = models.DateTimeField(_("created"), db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # The relay's query: unsent rows, oldest first.
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_unsent",
            ),
            models.Index(fields=["aggregate_type", "aggregate_id", "created_at"]),
        ]
        verbose_name = _("outgoing event")
        verbose_name_plural = _("outgoing events")

    def __str__(self) -> str:
        return f"{self.type} {self.subject}"


class ProcessedEvent(models.Model):
    """A back-office event already applied: the same id again is skipped."""

    event_id = models.CharField(_("event id"), max_length=100, primary_key=True)
    type = models.CharField(_("type"), max_length=60)
    outcome = models.CharField(_("outcome"), max_length=20)
    processed_at = models.DateTimeField(_("processed"), auto_now_add=True)

    class Meta:
        ordering = ["-processed_at"]
        verbose_name = _("processed event")
        verbose_name_plural = _("processed events")

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class InboundVersion(models.Model):
    """The newest version applied of one back-office record (a visit, a prospect…).

    An event carrying an older or equal version arrives late and is not applied: the
    record already holds newer facts.
    """

    record_type = models.CharField(_("record type"), max_length=30)
    record_ref = models.CharField(_("back-office reference"), max_length=60)
    version = models.BigIntegerField(_("version"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "record_ref"], name="one_version_per_inbound_record"
            )
        ]
        verbose_name = _("back-office record version")
        verbose_name_plural = _("back-office record versions")

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_ref} v{self.version}"


class DeadLetter(models.Model):
    """A message the consumer could not apply; kept as received, to retry by hand."""

    topic = models.CharField(_("topic"), max_length=200)
    partition = models.IntegerField(_("partition"))
    offset = models.BigIntegerField(_("offset"))
    key = models.CharField(_("key"), max_length=200, blank=True)
    value = models.TextField(_("raw value"))
    error = models.TextField(_("error"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    retried_at = models.DateTimeField(_("last retried"), null=True, blank=True)
    resolved = models.BooleanField(_("resolved"), default=False)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # The open ones: counted at every metrics scrape, listed first in the admin.
            models.Index(
                fields=["received_at"],
                condition=models.Q(resolved=False),
                name="dead_letter_open",
            ),
        ]
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


class ConsumerLag(models.Model):
    """How far NOMAD's consumer group is behind one partition of the back office's topics.

    Written by the consumer process (``consume_backoffice``) from its committed offsets
    and the partition's high watermark; read by the web's ``/metrics``, which runs in
    other processes (``nomad_consumer_lag``).
    """

    topic = models.CharField(_("topic"), max_length=200)
    partition = models.IntegerField(_("partition"))
    committed = models.BigIntegerField(_("committed offset"), null=True, blank=True)
    high_watermark = models.BigIntegerField(_("high watermark"))
    lag = models.BigIntegerField(_("lag"))
    measured_at = models.DateTimeField(_("measured"))

    class Meta:
        ordering = ["topic", "partition"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "partition"], name="one_lag_per_partition")
        ]
        verbose_name = _("consumer lag")
        verbose_name_plural = _("consumer lags")

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]: {self.lag}"
