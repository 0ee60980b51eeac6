"""Files that carry personal data out of the store: the one way partyreg writes them.

Every export and every error workbook (``--errors-out``) goes through :func:`private_output`:

- the file is created readable and writable by its owner only (0600), whatever the umask — a
  workbook of full phone numbers and addresses on a shared server is nobody else's to read;
- an existing file is never replaced unless the operator says so (``--force``);
- a symlink is never followed (an attacker's link in a shared folder would otherwise send the
  data, or the overwrite, wherever it points), nor is anything but a regular file replaced;
- the store itself (and its ``-wal``/``-shm`` files) is never a target, with or without
  ``--force``: ``--db sqlite:///x.xlsx export form1 -o x.xlsx`` would replace the store;
- the file is written beside the target under a private temporary name and moved into place
  when complete, so a failed export leaves no half file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from partyreg_core.errors import ValidationError

#: The mode of every file partyreg writes personal data into.
PRIVATE_MODE = 0o600


def _resolved(path: Path) -> Path:
    """``path`` with its folder's symlinks resolved (the last part kept as it is)."""
    return Path(os.path.realpath(path.parent)) / path.name


def check_target(target: Path, *, force: bool, protected: Sequence[Path] = ()) -> None:
    """Refuse ``target`` unless an export may be written there (see the module docstring)."""
    resolved = _resolved(target)
    for kept in protected:
        same = resolved == Path(os.path.realpath(kept))
        if not same and target.exists() and kept.exists():
            same = os.path.samefile(target, kept)
        if same:
            raise ValidationError(
                "output.is_store",
                f"{target} 是存储文件本身，不能作为导出文件（会覆盖存储）：请换一个文件名。",
            )
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise ValidationError(
                "output.symlink",
                f"{target} 是符号链接，为防止数据被写到别处已拒绝：请写到一个普通的新文件。",
            )
        if not stat.S_ISREG(info.st_mode):
            raise ValidationError("output.not_file", f"{target} 不是普通文件：请换一个文件名。")
        if not force:
            raise ValidationError(
                "output.exists",
                f"文件 {target} 已经存在：换一个文件名，或加 --force 覆盖它。",
            )
    if not target.parent.is_dir():
        raise ValidationError(
            "output.dir", f"文件夹 {target.parent} 不存在：请先创建它，或换一个位置。"
        )


@contextmanager
def private_output(
    target: Path, *, force: bool = False, protected: Sequence[Path] = ()
) -> Iterator[Path]:
    """A private temporary file beside ``target`` to write into; moved onto ``target`` when
    the block ends without an error (removed otherwise). Refused as :func:`check_target`."""
    check_target(target, force=force, protected=protected)
    try:
        fd, name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.stem}.", suffix=f".partial{target.suffix}"
        )
    except PermissionError:
        raise ValidationError(
            "output.denied", f"没有在 {target.parent} 中写文件的权限：请换一个文件夹。"
        ) from None
    partial = Path(name)
    try:
        os.fchmod(fd, PRIVATE_MODE)  # mkstemp's 0600 already; said again, whatever the umask
        os.close(fd)
        yield partial
        info = os.lstat(partial)
        if not stat.S_ISREG(info.st_mode):  # a writer that swapped the file for a link
            raise ValidationError("output.symlink", f"{target} 的临时文件被替换，已拒绝写入。")
        os.chmod(partial, PRIVATE_MODE)  # a writer that recreated the file got the umask's mode
        check_target(target, force=force, protected=protected)  # nothing appeared meanwhile
        if force:
            os.replace(partial, target)
        else:
            try:
                os.link(partial, target)  # fails, never overwrites, if the name was taken
            except FileExistsError:
                raise ValidationError(
                    "output.exists",
                    f"文件 {target} 已经存在：换一个文件名，或加 --force 覆盖它。",
                ) from None
            except OSError:  # a file system without hard links
                os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
