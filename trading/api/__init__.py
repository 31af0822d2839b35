"""edge-api for the trading context: instruments, orders, fills, positions."""
