"""One module per command group."""

from partyreg_cli import zh

# before any command module builds its parameter types: click names them ("file", "directory")
# when they are constructed
zh.install()
