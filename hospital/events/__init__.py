"""Hospital events modules, one per area (network, rota, consultations, prescriptions, expert)."""
