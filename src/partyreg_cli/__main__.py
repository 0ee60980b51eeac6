"""``python -m partyreg_cli`` runs the ``partyreg`` command."""

from partyreg_cli.main import main

main()
