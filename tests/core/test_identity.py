"""Who is at the keyboard comes from the kernel's user ids, never from the environment."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys

import pytest

from partyreg_core.errors import NotPermittedError
from partyreg_core.operators.identity import FixedIdentity, Identity, IdentityProvider, OsIdentity
from partyreg_core.workspace import Workspace

ME = pwd.getpwuid(os.geteuid()).pw_name


def test_the_os_identity_is_the_effective_uid_whatever_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("USER", "LOGNAME", "LNAME", "USERNAME", "PARTYREG_OPERATOR"):
        monkeypatch.setenv(variable, "someone-else")
    assert OsIdentity().identify() == Identity(ME, "os", os.geteuid())
    assert Workspace("sqlite:///x.db").os_user == ME


def test_an_embedder_supplies_its_own_identity() -> None:
    provider: IdentityProvider = FixedIdentity("platform-user-17", "platform")
    ws = Workspace("sqlite:///x.db", identity=provider)
    assert ws.identity == Identity("platform-user-17", "platform")
    assert isinstance(OsIdentity(), IdentityProvider)


@pytest.mark.skipif(os.geteuid() != 0, reason="changing the real uid needs root")
def test_real_and_effective_uids_that_disagree_are_refused() -> None:
    code = (
        "import os; os.setresuid(65534, 0, 0)\n"
        "from partyreg_core.operators.identity import OsIdentity\n"
        "from partyreg_core.errors import NotPermittedError\n"
        "try:\n    OsIdentity().identify()\n"
        "except NotPermittedError as e:\n    print(e.code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "identity.uid_mismatch"


def test_a_uid_without_a_passwd_entry_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(uid: int) -> pwd.struct_passwd:
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", missing)
    with pytest.raises(NotPermittedError) as caught:
        OsIdentity().identify()
    assert caught.value.code == "identity.unknown_uid"
