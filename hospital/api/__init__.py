"""Hospital api modules, one per area (network, rota, consultations, prescriptions, expert)."""
