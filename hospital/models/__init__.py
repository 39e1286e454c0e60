"""All hospital models, imported here so the metadata (and migrations) see every table."""

from hospital.models import (  # noqa: F401
    calls,
    consultations,
    expert,
    formulary,
    network,
    patients,
    prescriptions,
    rota,
)
