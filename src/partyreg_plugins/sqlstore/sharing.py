"""A SQLite store shared by the operators of one Unix group, and what ``partyreg doctor`` says
about its files.

SQLite has no users of its own: whoever can write the file can do anything with it (the scopes
are partyreg's, not the file's). So a shared store is one trust domain, the group, and the
only thing to get right is that nobody outside the group can read or write it:

- the folder is the group's, setgid (``drwxrws---``), so the ``-wal`` and ``-shm`` files SQLite
  creates and removes as it goes take the group too, whoever's process creates them;
- the store and its journals are ``rw-rw----`` (SQLite gives new journals the store's mode);
- nothing is readable by others.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path

from partyreg_core.errors import NotPermittedError, ValidationError
from partyreg_core.ports import StoreFile, StoreFinding

SHARED_FILE_MODE = 0o660
SHARED_DIR_MODE = 0o2770
SUFFIXES = ("", "-wal", "-shm", "-journal")


def store_files(path: Path) -> list[Path]:
    """The store file and those of its journals that exist."""
    return [p for p in (path.with_name(path.name + s) for s in SUFFIXES) if p.exists()]


def group_id(group: str) -> int:
    """The id of ``group``, refused (naming the fix) when there is no such group."""
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise ValidationError(
            "store.group_unknown",
            f"系统中没有用户组 {group}：请系统管理员先运行 groupadd {group}，"
            f"并把各位操作员加入该组（usermod -aG {group} 用户名）。",
        ) from None


def share(path: Path, group: str, *, check_only: bool = False) -> None:
    """Give the store at ``path``, its journals and its folder to ``group`` (see above).

    The folder must hold nothing but the store: a shared folder is the group's.
    ``check_only``: refuse what would be refused, changing nothing."""
    gid = group_id(group)
    folder = path.parent.resolve()
    if not folder.is_dir():
        raise ValidationError(
            "store.dir", f"文件夹 {folder} 不存在：请先创建它（如 mkdir -p {folder}）。"
        )
    others = sorted(
        p.name for p in folder.iterdir() if p.name not in {path.name + s for s in SUFFIXES}
    )
    if others:
        raise ValidationError(
            "store.group_folder",
            f"共享存储须放在单独的文件夹中，{folder} 里还有其他文件（{'、'.join(others[:3])}）："
            f"请改用如 --db sqlite:////srv/partyreg/{path.name} 这样的专用文件夹。",
        )
    if check_only:
        if os.geteuid() != 0 and gid not in os.getgroups():
            raise NotPermittedError(
                "store.group_denied",
                f"你不属于用户组 {group}，不能把存储交给它：请系统管理员把你加入该组"
                f"（usermod -aG {group} 你的用户名，重新登录后生效）或由管理员运行。",
            )
        return
    try:
        os.chown(folder, -1, gid)
        os.chmod(folder, SHARED_DIR_MODE)
        for file in store_files(path):
            os.chown(file, -1, gid)
            os.chmod(file, SHARED_FILE_MODE)
    except PermissionError:
        raise NotPermittedError(
            "store.group_denied",
            f"不能把 {folder} 交给用户组 {group}：你须是该文件夹的所有者并属于 {group} 组"
            "（或由系统管理员运行）。",
        ) from None


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def describe(path: Path) -> StoreFile:
    """The mode, owner and group of ``path``."""
    info = os.stat(path)
    return StoreFile(
        path=path,
        mode=stat.S_IMODE(info.st_mode),
        owner=_user(info.st_uid),
        group=_group(info.st_gid),
        is_dir=stat.S_ISDIR(info.st_mode),
    )


def findings(path: Path) -> tuple[list[StoreFile], list[StoreFinding]]:
    """The store's folder and files, and what is wrong with their permissions."""
    folder = describe(path.parent.resolve())
    files = [describe(p) for p in store_files(path)]
    warnings: list[StoreFinding] = []
    for file in files:
        if file.mode & 0o006:
            warnings.append(
                StoreFinding(
                    "store.others_access",
                    f"{file.path} 的权限是 {stat.filemode(file.mode | stat.S_IFREG)}：其他用户可以"
                    f"{'读写' if file.mode & 0o002 else '读取'}（其中有党员的手机号和住址）。"
                    f"请运行 chmod o-rwx {file.path}。",
                )
            )
    if folder.mode & 0o002 and not folder.mode & stat.S_ISVTX:
        warnings.append(
            StoreFinding(
                "store.folder_world_writable",
                f"存储所在的文件夹 {folder.path} 任何人都可以写入（可替换存储文件）："
                f"请运行 chmod o-w {folder.path}，或把存储放到专用文件夹。",
            )
        )
    if any(f.mode & 0o060 == 0o060 for f in files) and not folder.mode & stat.S_ISGID:
        warnings.append(
            StoreFinding(
                "store.group_not_setgid",
                f"存储对用户组可写，但文件夹 {folder.path} 没有设置 setgid：其他操作员新建的 "
                f"-wal/-shm 文件不会属于该组。请运行 partyreg init --group {files[0].group}。",
            )
        )
    return [folder, *files], warnings
