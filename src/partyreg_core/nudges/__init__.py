"""Nudges to individuals (个人提醒): the day before an assigned need, days without confirmed
service, a wish waiting unclaimed, self-reports waiting for confirmation, 附表3 not yet
confirmed as 12-20 nears, and a weekly digest for each community — planned for a day with
quiet hours, a per-person daily cap and members' opt-outs, then queued in the one outbox.

``model`` holds the values, ``rules`` the settings, their syntax, the messages and the planner,
``port`` the facts a store provides, ``service`` what the facade exposes as ``ws.nudges``.
"""
