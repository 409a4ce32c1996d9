from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class UnitStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminée")
    FAILED = "failed", _("En échec")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("En cours")
    SUCCEEDED = "succeeded", _("Réussie")
    FAILED = "failed", _("Échouée")
    INTERRUPTED = "interrupted", _("Interrompue")


class JobUnit(models.Model):
    """One unit of work of a scheduled job: one e-mail to resend, one recurring invoice for one date.

    The unique (job, key) pair makes the unit exist once, however many sweeps
    find it. Only the worker that moves it from « pending » to « running » with
    a conditional UPDATE runs it. A unit still « running »
    after ``lease_until`` is presumed abandoned by a crashed worker and can be
    claimed again.
    """

    job = models.CharField(max_length=100)
    key = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    # The day of the sweep that found the unit.
    due_on = models.DateField()
    label = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=UnitStatus, default=UnitStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # The earliest time the next attempt may start: the job's own delay, then the retry backoff.
    run_after = models.DateTimeField()
    # Set while running: the claim's fencing token and the time it expires.
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The last time a sweep handed the unit to the queue, so that it is not queued again every minute.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("tâche")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["job", "key"], name="unique_job_unit")]
        indexes = [
            models.Index(fields=["status", "run_after"], name="job_unit_claimable"),
            models.Index(fields=["organisation", "status", "finished_at"], name="job_unit_by_status"),
        ]

    def __str__(self) -> str:
        return "%s %s" % (self.job, self.key)

    def get_absolute_url(self) -> str:
        return reverse("jobs:detail", args=[self.pk])

    @property
    def job_label(self) -> str:
        """Return the French name of the unit's job, or its code name when no app declares it any more."""
        from ardoise.jobs.registry import get_job

        job = get_job(self.job)
        return str(job.label) if job is not None else self.job


class JobRun(models.Model):
    """One attempt at a unit: who ran it, when, and how it ended."""

    unit = models.ForeignKey(JobUnit, on_delete=models.CASCADE, related_name="runs")
    attempt = models.PositiveIntegerField()
    # host:pid:thread of the process that ran the attempt.
    worker = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=RunStatus, default=RunStatus.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("exécution de tâche")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["started_at"], name="job_run_started")]

    def __str__(self) -> str:
        return "%s #%s" % (self.unit, self.attempt)
