"""Bulk changes over a lead list of any size: assign, change status, mark lost, mark contacted.

A job keeps the list's query string (its filters and search, or the ticked rows as `id__in`),
never a list of ids: the leads are found again through the lead admin's own changelist, as the
user who started the job, so it works on the leads they saw. Each lead goes through one service
in its own transaction; what the service refuses is kept with the lead's reference.

Small jobs run in the request; larger ones in a Celery task queued on commit. A job that is done
or failed never runs again, and a task run again (a worker lost, a retry) resumes after the last
lead handled: the watermark is saved in the same transaction as that lead's change.
"""

import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import OperationalError, transaction
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from kombu.exceptions import OperationalError as BrokerError

from . import services
from .models import CLOSED_STATUSES, BulkJob, Lead, LeadActivity, LeadStatus

logger = logging.getLogger(__name__)

CHUNK = 200
BATCH = 50  # leads per transaction (and per update of the job's counts)
RESUBMIT_SECONDS = 60  # the same bulk change sent again within this is the same job
REFUSED_KEPT = 100  # refusals kept word for word; any more are only counted
# BulkJob has no fields for a run's own state, so it sits in `params` beside the action's inputs.
AFTER, REFUSED_COUNT, ERROR = "after_pk", "refused_count", "error"


class BulkStopped(Exception):
    """The job cannot go on; the message is shown on its page."""


# The actions. Each factory reads the job's params once and returns the step for one lead, which
# returns False when there is nothing to do (counted as skipped) and lets the service's
# ValidationError through (counted as refused).


def _when(value):
    return parse_datetime(value) if value else None


def _assign(params, actor):
    owner = get_user_model().objects.filter(pk=params["owner"]).first()
    if owner is None:
        raise BulkStopped("The person to assign to no longer exists.")

    def step(lead):
        if lead.owner_id == owner.pk:
            return False
        services.lead_assign(lead=lead, owner=owner, actor=actor)
        return True

    return step


def _change_status(params, actor):
    status, retry_at = LeadStatus(params["status"]), _when(params.get("retry_at"))

    def step(lead):
        # As the service: the same status is no change, except a new retry time for "no answer".
        if lead.status == status and status != LeadStatus.NO_ANSWER:
            return False
        services.lead_change_status(
            lead=lead, status=status, actor=actor, lost_reason=params.get("lost_reason", ""), retry_at=retry_at
        )
        return True

    return step


def _mark_lost(params, actor):
    def step(lead):
        if lead.status in CLOSED_STATUSES:
            return False
        services.lead_change_status(lead=lead, status=LeadStatus.LOST, actor=actor, lost_reason=params["lost_reason"])
        return True

    return step


def _mark_contacted(params, actor):
    due_at = _when(params["due_at"])

    def step(lead):
        # A won or lost lead is not reopened by a call logged in bulk.
        if lead.status in CLOSED_STATUSES:
            return False
        services.lead_log_call(
            lead=lead,
            outcome=LeadActivity.Outcome.SPOKE,
            text="Marked contacted in bulk.",
            actor=actor,
            next_action=params["next_action"],
            due_at=due_at,
        )
        return True

    return step


@dataclass(frozen=True)
class Action:
    make_step: object
    skipped_means: str  # why a lead was left as it was


ACTIONS = {
    "assign": Action(_assign, "they already had that owner"),
    "status": Action(_change_status, "they already had that status"),
    "lost": Action(_mark_lost, "they were already closed (won or lost)"),
    "contacted": Action(_mark_contacted, "they were closed (won or lost)"),
}


# Finding the leads again ------------------------------------------------------------------------


def leads_for(job):
    """The leads the job's user sees on the lead list with the job's query string: the lead
    admin's changelist decides what each filter and the search mean, as it did on the page."""
    from django.contrib import admin

    user = job.requested_by
    modeladmin = admin.site.get_model_admin(Lead)
    request = HttpRequest()
    request.method = "GET"
    request.path = reverse("admin:enquiries_lead_changelist")
    request.GET = QueryDict(job.query)
    request.user = user
    # Rights are checked again when the work is done, not only when it was asked for.
    if user is None or not user.is_active or not modeladmin.has_change_permission(request):
        raise BulkStopped("The person who started this may no longer change leads.")
    try:
        return modeladmin.get_changelist_instance(request).queryset
    except admin.options.IncorrectLookupParameters as exc:
        raise BulkStopped("The list's filter is not valid any more.") from exc


# Starting and running ---------------------------------------------------------------------------


def bulk_start(*, action, params, queryset_query, request_user, description="", total=None):
    """Record a bulk change of the leads matching `queryset_query` (the lead list's query string)
    and run it: now when small (LEAD_BULK_INLINE_LIMIT), else in a task once this commits.
    Returns the job (finished, or queued)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown bulk action {action!r}")
    job = BulkJob(
        action=action,
        params=json.loads(json.dumps(params, cls=DjangoJSONEncoder)),  # as the task will read them
        query=queryset_query,
        description=description[:300],
        requested_by=request_user,
        total=total or 0,
    )
    if total is None:
        try:
            job.total = leads_for(job).count()
        except BulkStopped as exc:
            job.state, job.finished_at, job.params[ERROR] = BulkJob.State.FAILED, timezone.now(), str(exc)
            job.save()
            return job
    with transaction.atomic():
        # One start at a time per user, so a form sent twice (a double click) finds its twin.
        get_user_model().objects.select_for_update().filter(pk=request_user.pk).first()
        if twin := _twin(request_user, action, job.params, queryset_query):
            return twin
        job.save()
    if job.total <= settings.LEAD_BULK_INLINE_LIMIT:
        return run_or_fail(job.pk)
    transaction.on_commit(lambda: _queue(job.pk))
    return job


def _twin(user, action, params, query):
    """The same change of the same leads, started by the same user moments ago and not failed."""
    since = timezone.now() - timedelta(seconds=RESUBMIT_SECONDS)
    recent = BulkJob.objects.filter(requested_by=user, action=action, query=query, created_at__gte=since)
    for job in recent.exclude(state=BulkJob.State.FAILED):
        if {key: job.params.get(key) for key in params} == params:
            return job
    return None


def _queue(job_id):
    try:
        run_bulk_job.delay(job_id)
    except BrokerError as exc:  # say so on the job's page rather than leave it queued for ever
        logger.warning("Could not queue bulk job %s: %s", job_id, exc)
        _finish(job_id, BulkJob.State.FAILED, error="The background queue could not be reached; nothing was changed.")


def bulk_run(job_id):
    """Run the job, or resume it after its last handled lead. Does nothing to a finished job."""
    job = BulkJob.objects.select_related("requested_by").get(pk=job_id)
    if job.state in (BulkJob.State.DONE, BulkJob.State.FAILED):
        return job
    BulkJob.objects.filter(pk=job_id, state=BulkJob.State.QUEUED).update(state=BulkJob.State.RUNNING)
    try:
        leads = leads_for(job)
        step = ACTIONS[job.action].make_step(job.params, job.requested_by)
    except BulkStopped as exc:
        return _finish(job_id, BulkJob.State.FAILED, error=str(exc))
    after = job.params.get(AFTER, 0)
    while True:
        # By pk, not by offset: leads this job changed may leave the filter (assigning the
        # unassigned) without moving the ones still to do.
        pks = list(leads.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        for start in range(0, len(pks), BATCH):
            if not _handle_batch(job_id, pks[start : start + BATCH], step):
                return BulkJob.objects.get(pk=job_id)  # finished meanwhile by another run
        if len(pks) < CHUNK:
            return _finish(job_id, BulkJob.State.DONE)
        after = pks[-1]


def _handle_batch(job_id, pks, step):
    """A few leads in one transaction with the job's counts and watermark, each lead in its own
    savepoint: a crash never leaves a lead changed but not counted, two runs of one job never
    handle a lead twice, and the job row is written once a batch, not once a lead."""
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().get(pk=job_id)
        if job.state != BulkJob.State.RUNNING:
            return False
        to_do = [pk for pk in pks if pk > job.params.get(AFTER, 0)]
        leads = Lead.objects.in_bulk(to_do)
        job.skipped += len(to_do) - len(leads)  # deleted meanwhile
        for _pk, lead in sorted(leads.items()):
            try:
                with transaction.atomic():
                    changed = step(lead)
            except ValidationError as exc:
                job.params[REFUSED_COUNT] = job.params.get(REFUSED_COUNT, 0) + 1
                if len(job.refused) < REFUSED_KEPT:
                    job.refused.append({"reference": lead.reference, "message": " ".join(exc.messages)})
            else:
                if changed:
                    job.done += 1
                else:
                    job.skipped += 1
        job.params[AFTER] = max(pks[-1], job.params.get(AFTER, 0))
        job.save(update_fields=["done", "skipped", "refused", "params"])
    return True


def _finish(job_id, state, error=""):
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().get(pk=job_id)
        if job.state not in (BulkJob.State.DONE, BulkJob.State.FAILED):
            job.state, job.finished_at = state, timezone.now()
            if error:
                job.params[ERROR] = error
            job.save(update_fields=["state", "finished_at", "params"])
    return job


def run_or_fail(job_id):
    """bulk_run, with any unexpected error logged and shown on the job rather than raised."""
    try:
        return bulk_run(job_id)
    except Exception as exc:
        logger.exception("Bulk job %s stopped", job_id)
        return _finish(job_id, BulkJob.State.FAILED, error=stopped_by(exc))


def stopped_by(exc):
    return f"Stopped by an unexpected error ({type(exc).__name__}); the leads not yet reached were not changed."


@shared_task(bind=True, name="enquiries.bulk.run_bulk_job", acks_late=True, reject_on_worker_lost=True, max_retries=3)
def run_bulk_job(self, job_id):
    """Run a queued bulk job. Acknowledged at the end, so a worker lost mid-run hands the job to
    another, which resumes it; a database that went away is retried a few times."""
    try:
        job = bulk_run(job_id)
    except OperationalError as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=10 * 2**self.request.retries) from exc
        _finish(job_id, BulkJob.State.FAILED, error=stopped_by(exc))
        raise
    except Exception as exc:
        _finish(job_id, BulkJob.State.FAILED, error=stopped_by(exc))
        raise
    return {"state": job.state, "done": job.done, "skipped": job.skipped, "refused": refused_count(job)}


# What a job did, for its page and messages ---------------------------------------------------------


def refused_count(job):
    return job.params.get(REFUSED_COUNT, 0)


def handled_count(job):
    return job.done + job.skipped + refused_count(job)


def skipped_means(job):
    action = ACTIONS.get(job.action)
    return action.skipped_means if action else ""


def job_error(job):
    return job.params.get(ERROR, "")
