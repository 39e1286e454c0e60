"""Patients, the hospital network, rotas, consultations, the formulary, prescriptions, expert cases."""
