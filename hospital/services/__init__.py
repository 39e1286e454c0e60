"""Hospital services modules, one per area (network, rota, consultations, prescriptions, expert)."""
