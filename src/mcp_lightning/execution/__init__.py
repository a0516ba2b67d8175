"""Safe execution: nothing changes a node's policy without a stored plan, a backup, a verification
and a way back.

Public API::

    from mcp_lightning.execution.executor import Executor, ExecutorOptions
    from mcp_lightning.execution.model import Mode
    from mcp_lightning.execution.selection import Rollout

    executor = Executor(store, node, node_pubkey, options=ExecutorOptions(limits=config.safety))
    executor.recover()                                       # finish what a crash left open
    outcome = executor.apply_run(run_id, mode=Mode.AUTO, rollout=Rollout((chan_a, chan_b), stage=1))
    executor.apply_approved()                                # approve mode, after a human said yes
    executor.rollback_tx(tx_id, chan_ids=None, reason="...")  # or rollback_channels / rollback_backup
    executor.rollback_if_triggered(tx_id, before, after, now)

Modules: ``model`` (values), ``ports`` (the store Protocol), ``executor`` (entry point), ``batch`` and
``journal`` (one transaction), ``channel_ops`` (node calls with retries), ``recovery``, ``rollback``,
``approvals``, ``selection`` (rollout allow-list, cooldown), ``triggers`` and ``retention`` (pure
rules), ``fake_node`` (an in-memory ``NodePort`` with fault injection, for tests and benchmarks).
"""
