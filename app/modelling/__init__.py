"""Process owners change their processes without a shell: deploying uploaded diagrams, forms
and catalogues through the same code as `stroom deploy` (publish.py), over Stroom's own API and
the endpoint the desktop Camunda Modeler's deploy dialog calls (api.py)."""
