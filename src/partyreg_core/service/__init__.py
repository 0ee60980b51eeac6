"""A community's service: its needs list (服务项目清单), the posts assigned to its members per
year by wish and specialty, and its groups with leaders.

``model`` holds the values, ``rules`` the needs checks, the specialty map, post assignment,
grouping and every refusal with its Chinese message, ``port`` the repository Protocol a store
provides and the solver a plugin provides, ``service`` what the facade exposes as
``ws.service``.
"""
