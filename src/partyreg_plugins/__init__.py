"""partyreg's built-in plugins, each a module registered in the ``partyreg`` entry-point group."""
