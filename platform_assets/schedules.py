"""The daily refresh of the whole graph, 06:00 Europe/Paris, as of the scheduled day."""

import dagster as dg

from platform_assets.lib.recovery import recover_abandoned_runs
from platform_assets.lib.settings import REFERENCE_DATE_TAG

daily_refresh = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all(),
    description="Refreshes every asset of the platform, landing to scores, as of the run's reference date.",
)


@dg.schedule(
    job=daily_refresh,
    cron_schedule="0 6 * * *",
    execution_timezone="Europe/Paris",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Nightly refresh: everything as of the scheduled day, published only when every blocking check passes.",
)
def daily_refresh_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    # a run killed last night would hold the queue and the warehouse pool: fail it first
    recovered = recover_abandoned_runs(context.instance)
    if recovered:
        context.log.info(f"marked {len(recovered)} abandoned run(s) failed: {', '.join(recovered)}")
    day = context.scheduled_execution_time.date().isoformat()
    return dg.RunRequest(run_key=day, tags={REFERENCE_DATE_TAG: day})
