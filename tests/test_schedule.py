from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from platform_assets.definitions import defs
from platform_assets.lib.settings import REFERENCE_DATE_TAG


def test_daily_refresh_runs_at_six_paris_time_as_of_the_scheduled_day():
    schedule = defs.get_schedule_def("daily_refresh_schedule")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone == "Europe/Paris"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    when = datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Europe/Paris"))
    # a persistent instance: the schedule first recovers runs whose process died (lib/recovery.py)
    with (
        dg.instance_for_test() as instance,
        dg.build_schedule_context(scheduled_execution_time=when, instance=instance) as context,
    ):
        request = schedule.evaluate_tick(context).run_requests[0]
    assert request.tags[REFERENCE_DATE_TAG] == "2026-11-23"
    assert request.run_key == "2026-11-23"


def test_daily_refresh_selects_every_asset():
    job = defs.resolve_job_def("daily_refresh")
    graph = defs.resolve_asset_graph()
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    assert set(job.asset_layer.executable_asset_keys) == materializable
