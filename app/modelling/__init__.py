"""Process owners change their processes without a shell: deploying uploaded diagrams, forms
and catalogues through the same code as `stroom deploy` (publish.py), over Stroom's own API and
the endpoint the desktop Camunda Modeler's deploy dialog calls (api.py); in the browser, the
web modeller with its live dry run, publishing, the version list and migrating running
instances (views.py, for the process's owner: owners.py; the modeller's script is
frontend/modeller.js, bundled by scripts/vendor-assets); the data catalogue edited in forms
(catalogue.py, catalogue_views.py), whose widened read rights wait for the privacy officer
(app/privacy/approval_views.py)."""
