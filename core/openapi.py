"""flask-smorest's `Api`, writing the OpenAPI document when it is first read, not at start.

flask-smorest documents a blueprint's views as it registers them: apispec turns every schema of
every operation into JSON Schema, about half of what `create_app` costs (0.25 s a process here,
paid again by every test that builds an app). Most processes never serve the document: a worker
behind nginx, a command, most tests. This `Api` registers the blueprint with Flask at once (its
routes serve from the first request) and keeps its documentation for the first read of `spec`:
`/api/openapi.json`, Swagger UI, `flask openapi write`, a test validating the document. The
document is the same, written from the same app with the same calls, in the same order.
"""

from __future__ import annotations

import threading

import flask_smorest


class Api(flask_smorest.Api):
    def __init__(self, *args, **kwargs):
        self._undocumented: list[tuple] = []
        self._documenting = threading.Lock()
        self._spec = None
        super().__init__(*args, **kwargs)

    @property
    def spec(self):
        """The OpenAPI document (apispec's `APISpec`), with every registered blueprint in it."""
        if self._undocumented:
            self._document_registered_blueprints()
        return self._spec

    @spec.setter
    def spec(self, spec) -> None:
        # `init_app` builds a new document for a new app: what was kept for another is dropped.
        self._spec = spec
        self._undocumented = []

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        """Flask's registration now; the documentation on the first read of `spec`."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def _document_registered_blueprints(self) -> None:
        with self._documenting:  # a second first reader waits until the document is whole
            while self._undocumented:
                blp, name, parameters = self._undocumented[0]
                # What flask_smorest.Api.register_blueprint does after Flask's registration.
                blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
                self._spec.tag({"name": name, "description": blp.description})
                del self._undocumented[0]
