"""The contract tests, one module per port; a backend collects each class by subclassing it
in a test module of its own (see :mod:`partyreg_core.testing`)."""
