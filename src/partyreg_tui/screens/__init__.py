"""The top-level screens (one per mode) and the screens pushed on them."""
