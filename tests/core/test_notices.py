"""The pure parts of notifications: targets as typed, settings and secrets, the retry policy,
the deployment file's [notify] section, idempotency keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyreg_core.errors import ValidationError
from partyreg_core.notify.model import Notice, Outcome, RetryPolicy, Target, TargetKind
from partyreg_core.notify.rules import (
    check_stored_settings,
    idempotency_key,
    is_secret_setting,
    member_channel_targets,
    parse_deployment,
    parse_target,
    resolve_settings,
)
from partyreg_core.orgcodes import OrgCode

codes = st.lists(st.integers(1, 999), min_size=1, max_size=4).map(
    lambda xs: OrgCode(("008", *(f"{x:03d}" for x in xs)))
)
targets = st.one_of(
    codes.map(Target.org),
    st.integers(1, 10**9).map(Target.community),
    st.integers(1, 10**9).map(Target.instructor),
    st.integers(1, 10**9).map(Target.member),
    codes.map(Target.members),
)


@given(targets)
def test_a_target_reads_back_as_it_is_written(target: Target) -> None:
    assert parse_target(str(target)) == target
    assert parse_target(f"  {str(target).replace(':', '：')} ") == target


def test_targets_as_operators_type_them() -> None:
    assert parse_target("单位:００８。００１") == Target.org("008.001")
    assert parse_target("社区：12") == Target.community(12)
    assert parse_target("指导员:3").kind is TargetKind.INSTRUCTOR
    assert parse_target("党员：12") == Target.member(12)
    assert parse_target("全体党员:008。003") == Target.members("008.003")
    assert Target.member(12).label == "党员 12"
    for bad_target in ("member:x", "members:12x", "member:-1", "members:"):
        with pytest.raises(ValidationError):
            parse_target(bad_target)
    for bad in ("008.001", "org:", "community:x", "community:0", "team:1", "community:１2x"):
        with pytest.raises(ValidationError):
            parse_target(bad)


@given(codes)
def test_a_members_channels_are_looked_for_from_the_unit_up_to_the_city(unit: OrgCode) -> None:
    chain = member_channel_targets(unit)
    assert chain[0] == Target.members(unit) and chain[-1] == Target.members("008")
    assert [len(t.code.segments) for t in chain if t.code] == list(range(len(unit.segments), 0, -1))


@given(st.text(max_size=40))
def test_any_text_is_a_target_or_a_validation_error(text: str) -> None:
    try:
        parsed = parse_target(text)
    except ValidationError:
        return  # nothing else may escape
    assert parse_target(str(parsed)) == parsed


def test_secrets_stay_out_of_the_store() -> None:
    for key in ("password", "secret", "key", "access_token", "smtp_password", "header.X-Token"):
        assert is_secret_setting(key)
        with pytest.raises(ValidationError) as caught:
            check_stored_settings({key: "s3cret"})
        assert "s3cret" not in caught.value.message and "env:" in caught.value.message
        assert check_stored_settings({key: "env:PARTYREG_X"}) == {key: "env:PARTYREG_X"}
    for url in (
        "https://oapi.dingtalk.com/robot/send?access_token=abc",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?debug=1&KEY=abc",
        "https://user:pw@example.org/hook",
    ):
        with pytest.raises(ValidationError, match="密钥"):
            check_stored_settings({"url": url})
    ok = {"url": "https://example.org/hook?source=partyreg", "msgtype": "text", "to": "a@b.cn"}
    assert check_stored_settings(ok) == ok
    with pytest.raises(ValidationError, match="环境变量名"):
        check_stored_settings({"secret": "env:1BAD"})


@given(st.dictionaries(st.text(max_size=12), st.text(max_size=30), max_size=4))
def test_checked_settings_never_hold_a_clear_secret(settings: dict[str, str]) -> None:
    try:
        checked = check_stored_settings(settings)
    except ValidationError:
        return
    for key, value in checked.items():
        if is_secret_setting(key) and value:
            assert value.startswith("env:")


def test_resolving_settings() -> None:
    stored = {"url": "https://example.org", "secret": "env:HOOK_SECRET"}
    deployment = {"header.Authorization": "Bearer t"}
    resolved = resolve_settings(stored, deployment, {"HOOK_SECRET": "xyz"}, channel="c")
    assert resolved == {
        "url": "https://example.org",
        "secret": "xyz",
        "header.Authorization": "Bearer t",
    }
    with pytest.raises(ValidationError, match="HOOK_SECRET") as caught:
        resolve_settings(stored, {}, {}, channel="c")
    assert caught.value.code == "notify.env_missing"


@given(
    st.integers(1, 20),
    st.floats(1, 600),
    st.floats(0, 5000),
    st.one_of(st.none(), st.floats(0, 10_000)),
)
def test_backoff_doubles_up_to_the_cap(
    attempts: int, base: float, extra: float, retry_after: float | None
) -> None:
    policy = RetryPolicy(max_attempts=30, base_seconds=base, cap_seconds=base + extra)
    delay = policy.delay(attempts, retry_after).total_seconds()
    expected = min(base * 2 ** (attempts - 1), base + extra)
    if retry_after is not None and retry_after > expected:
        expected = min(retry_after, base + extra)
    assert delay == pytest.approx(expected)
    assert delay <= policy.cap_seconds + 1e-6
    assert policy.delay(attempts + 1).total_seconds() >= policy.delay(attempts).total_seconds()


def test_the_last_attempt_and_permanent_errors_fail() -> None:
    now = datetime(2024, 9, 8, tzinfo=UTC)
    policy = RetryPolicy(max_attempts=3)
    assert policy.after_failure(1, now, temporary=True) == (
        Outcome.RETRY,
        now + timedelta(seconds=60),
    )
    assert policy.after_failure(3, now, temporary=True) == (Outcome.FAILED, None)
    assert policy.after_failure(1, now, temporary=False) == (Outcome.FAILED, None)
    with pytest.raises(ValidationError):
        RetryPolicy(max_attempts=0)


def test_the_deployment_file() -> None:
    config = parse_deployment(
        "[store]\nurl = 'x'\n\n[notify]\nmax_attempts = 4\nbackoff_base = 30\n"
        "deliver_immediately = false\n\n"
        '[notify.channels."qjp-wecom"]\nkey = "k-1"\nport = 465\nmention_all = true\n'
    )
    assert config.policy == RetryPolicy(max_attempts=4, base_seconds=30, cap_seconds=3600)
    assert config.deliver_immediately is False
    assert config.channels == {"qjp-wecom": {"key": "k-1", "port": "465", "mention_all": "true"}}
    assert parse_deployment("").policy == RetryPolicy()
    for bad, word in (
        ("[notify]\nmax_attempt = 3\n", "max_attempt"),
        ("[notify]\nmax_attempts = 0\n", "max_attempts"),
        ("[notify]\nbackoff_base = 100\nbackoff_cap = 10\n", "backoff_cap"),
        ("[notify]\ndeliver_immediately = 'yes'\n", "deliver_immediately"),
        ('[notify.channels."a"]\nkey = [1]\n', "key"),
        ("[notify\n", "TOML"),
    ):
        with pytest.raises(ValidationError, match=word):
            parse_deployment(bad, source="/etc/partyreg.toml")


@given(st.text(max_size=200))
def test_any_file_is_a_config_or_a_validation_error(text: str) -> None:
    try:
        parse_deployment(text)
    except ValidationError as exc:
        assert exc.code == "config.invalid"


def test_idempotency_keys() -> None:
    notice = Notice("progress.remind", Target.org("008.001"), "s", "b", "008.001|reg|3")
    key = idempotency_key(notice, "wecom")
    assert key == idempotency_key(
        Notice("progress.remind", Target.org("008.001"), "x", "y", "008.001|reg|3"), "wecom"
    )
    assert len(key) == 40
    assert key != idempotency_key(notice, "mail")
    assert key != idempotency_key(
        Notice("progress.remind", Target.org("008.002"), "s", "b", "008.001|reg|3"), "wecom"
    )
