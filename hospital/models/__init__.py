"""All hospital models, imported here so the metadata (and migrations) see every table."""

import importlib

_MODULES = ["network", "patients", "rota", "consultations", "calls", "formulary", "prescriptions", "expert"]

for _name in _MODULES:
    try:
        importlib.import_module(f"hospital.models.{_name}")
    except ModuleNotFoundError as _err:
        if _err.name != f"hospital.models.{_name}":
            raise
