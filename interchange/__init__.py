"""Records that leave the building: standard forms of the hospital's records (FHIR R4B).

This package sits above hospital, pharmacy and insurance: it reads them; none of them imports it."""
