"""Operators: roles, scopes and who is acting.

``model`` holds the values (roles, scopes, accounts, the acting :class:`~.model.Actor`),
``identity`` who is at the keyboard (the kernel's uid, decision 0080), ``port`` the repository
Protocol a store provides, ``service`` what the facade exposes as ``ws.operators``.
"""
