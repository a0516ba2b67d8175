"""Load our node's state from an export folder, whichever implementation wrote it.

A Core Lightning folder is recognised by ``listpeerchannels.json``, an LND folder by ``channels.json``
(each plain or ``.gz``/``.xz``/``.zip``); see ``cln_export`` and ``lnd_export`` for the other files.
"""

from __future__ import annotations

from pathlib import Path

from mcp_lightning.adapters.files.cln_export import PEER_CHANNELS, is_cln_export, load_cln_export
from mcp_lightning.adapters.files.lnd_export import CHANNELS, is_lnd_export, load_lnd_export
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.errors import InputFileError


def load_node_export(path: Path) -> NodeSnapshot:
    """Read a node export folder into a snapshot, detecting Core Lightning or LND by its files.

    Args:
        path: the export folder.

    Returns:
        The node's identity, open channels and settled forwards (see ``load_cln_export`` and
        ``load_lnd_export``); bad single records are listed in ``skipped``.

    Raises:
        InputFileError: ``path`` is not a folder, holds neither export (the message names the files
            looked for) or both, or a required file in it is missing or malformed.
    """
    if not path.is_dir():
        raise InputFileError(str(path), "is not a folder", hint="pass the folder of export files")
    cln, lnd = is_cln_export(path), is_lnd_export(path)
    if cln and lnd:
        raise InputFileError(str(path), f"holds both {PEER_CHANNELS} (Core Lightning) and {CHANNELS} (LND)",
                             hint="put each node's export in its own folder")
    if cln:
        return load_cln_export(path)
    if lnd:
        return load_lnd_export(path)
    raise InputFileError(
        str(path), f"is neither a Core Lightning export (looked for {PEER_CHANNELS}[.gz|.xz|.zip]) "
        f"nor an LND export (looked for {CHANNELS}[.gz|.xz|.zip])",
        hint=f"export `lightning-cli listpeerchannels > {PEER_CHANNELS}` or `GET /v1/channels > {CHANNELS}` "
             "together with getinfo.json and the forwarding history")
