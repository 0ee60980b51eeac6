"""``python -m partyreg_cli`` runs the ``partyreg`` command."""

from partyreg_cli.entry import main

main()
