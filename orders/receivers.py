"""Signal receivers: each is a few lines that call orders.services."""
