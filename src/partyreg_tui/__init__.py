"""The partyreg terminal UI (Textual), for operators over SSH."""
