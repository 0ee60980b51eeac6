"""partyreg core: the domain of the campaign 在职党员回社区 亮明身份作表率.

The domain modules (org codes, posts, records, calendar, …) are pure: they import only the
standard library, attrs and cattrs, do no I/O and never read the clock. Storage, file formats and
notification channels are reached through the pluggy hooks in :mod:`partyreg_core.hookspecs`,
and embedders and frontends call the facade :class:`partyreg_core.workspace.Workspace`.
"""

__version__ = "0.1.0"

DEFAULT_DB = "sqlite:///partyreg.db"
"""The store used when neither ``--db`` nor ``PARTYREG_DB`` names one."""
