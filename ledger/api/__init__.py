"""edge-api for the ledger context: balances."""
