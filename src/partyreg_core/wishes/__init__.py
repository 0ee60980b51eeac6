"""Residents' wishes (微心愿 / 群众需求): a resident's need recorded by the community, claimed
by a member, done, and rated by the resident (点单 → 派单 → 接单 → 评单).

``model`` holds the values, ``rules`` the checks and their Chinese messages, ``port`` the
repository Protocol a store provides, ``service`` what the facade exposes as ``ws.wishes``.
"""
