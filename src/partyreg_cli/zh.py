"""Click's own messages in Chinese: usage errors and help text, as every other line partyreg prints.

Click looks its messages up through :mod:`gettext` (``_`` and ``ngettext`` bound in each of its
modules at import). No Chinese catalogue ships with click, so :func:`install` binds those names to
a lookup in :data:`MESSAGES`; a message not in the table stays as click wrote it (a test lists
click's messages and fails when a new one appears untranslated). The placeholders of every entry
are click's own, so the formatting click does afterwards keeps working.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

MESSAGES: dict[str, str] = {
    # help screens
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "位置参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "deprecated": "已停用",
    "(dynamic)": "（动态）",
    "Confirm the action without prompting.": "不再询问，直接执行。",
    "Do you want to continue?": "是否继续？",
    "Repeat for confirmation": "请再输入一次确认",
    "Press any key to continue...": "按任意键继续……",
    "Aborted!": "已取消。",
    # usage errors (the boundary in main.run wraps them in one line with the --help hint)
    "Error: {message}": "错误：{message}",
    "Error: invalid input": "错误：输入无效",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Missing command.": "缺少子命令。",
    "No such command {name!r}.": "没有 {name!r} 这个命令。",
    "No such option {name!r}.": "没有 {name!r} 这个选项。",
    "Did you mean {possibility}?": "是否想用 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是否想用：{possibilities}？）",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看用法。",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）：请检查是否漏了选项名或多打了字。",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）：请检查是否漏了选项名或多打了字。",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只给了 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，给了 {len} 个。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "argument": "参数",
    "option": "选项",
    "parameter": "参数",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "unknown error": "未知错误",
    "Option {name!r} requires an argument.": "选项 {name!r} 后面要跟一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 后面要跟 {nargs} 个值。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Invalid start character for option ({option})": "选项的开头字符无效（{option}）",
    "Value must be an iterable.": "值必须是一组。",
    # values of the parameter types click itself provides
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在：请检查路径和文件名。",
    "{name} {filename!r} is a directory.": "{filename!r} 是文件夹：请给出其中的文件，而不是文件夹。",
    "{name} {filename!r} is a file.": "{filename!r} 是文件：这里要一个文件夹。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 没有读取权限。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 没有写入权限。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不能执行。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的数字：请只写阿拉伯数字。",
    "{value} is not in the range {range}.": "{value} 不在允许的范围 {range} 内。",
    "{value!r} is not {choice}.": "{value!r} 不是允许的值：只能是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是允许的值：只能是 {choices} 之一。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不符合格式 {formats}。",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} 不是有效的是/否值：可用 {states}。"
    ),
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "{len_type} values are required, but {len_value} was given.": (
        "需要 {len_type} 个值，给了 {len_value} 个。"
    ),
    "{len_type} values are required, but {len_value} were given.": (
        "需要 {len_type} 个值，给了 {len_value} 个。"
    ),
}

CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.termui",
    "click.types",
    "click.utils",
)


def gettext(message: str) -> str:
    """``message`` in Chinese where the table has it."""
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural ``message`` in Chinese where the table has it."""
    return gettext(singular if n == 1 else plural)


def install() -> None:
    """Make click speak Chinese (idempotent)."""
    replacements: dict[str, Callable[..., str]] = {"_": gettext, "ngettext": ngettext}
    for name in CLICK_MODULES:
        module = importlib.import_module(name)
        for attr, function in replacements.items():
            if hasattr(module, attr):
                setattr(module, attr, function)
