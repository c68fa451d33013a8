"""A step's library chatter goes to its debug log and its summary line to the console; the console
logger of the code location shows info and above only."""

import logging
import warnings

import dagster as dg
import yaml

from platform_assets.lib.step_output import CONSOLE_INFO, library_output_to_debug, summary


@dg.asset
def chatty(context: dg.AssetExecutionContext) -> None:
    with library_output_to_debug(context):
        logging.getLogger("splink.internals.em").warning("unable to train m value")
        warnings.warn("lbfgs failed to converge", UserWarning, stacklevel=1)
        print("1 of 61 START seed file")
    summary(context, "scores.chatty", 1234, auc=0.81234, segments=5)


def run_chatty():
    """Runs the asset with the quiet console's run config (``make materialize``'s); its log records."""
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([chatty], instance=instance, run_config=yaml.safe_load(CONSOLE_INFO.read_text()))
    assert result.success
    return {(r.level, r.user_message) for r in instance.all_logs(result.run_id)}


def test_library_output_reaches_the_debug_log_not_the_console(capsys):
    logs = run_chatty()
    debug = "\n".join(m for level, m in logs if level == logging.DEBUG)
    assert "splink.internals.em warning: unable to train m value" in debug
    assert "UserWarning: lbfgs failed to converge" in debug
    assert "1 of 61 START seed file" in debug
    assert (logging.INFO, "scores.chatty: 1,234 rows; auc 0.812; segments 5") in logs
    console = "".join(capsys.readouterr())
    assert "scores.chatty: 1,234 rows; auc 0.812; segments 5" in console
    for text in ("unable to train m value", "lbfgs failed", "1 of 61 START", "STEP_START"):
        assert text not in console


def test_loggers_and_warnings_are_restored_after_the_step():
    splink = logging.getLogger("splink")
    handler = logging.StreamHandler()
    splink.addHandler(handler)
    try:
        before = warnings.showwarning
        run_chatty()
        assert splink.handlers[-1] is handler and warnings.showwarning is before
    finally:
        splink.removeHandler(handler)
