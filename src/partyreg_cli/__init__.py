"""The ``partyreg`` command line (click). Thin: parses, calls the facade, prints."""
