"""Hospital's models, one module per area; the composition root (app.py) imports every one, so
the metadata (and the migrations) see every table."""
