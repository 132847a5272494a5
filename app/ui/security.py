"""Security headers for every response; the Content-Security-Policy for HTML pages.

Scripts only from our own origin (no inline script, no eval): page code lives in
app/static/js, configuration travels in data attributes, <meta> tags or JSON data blocks
(<script type="application/json">, which browsers never execute). Styles allow
'unsafe-inline' because bpmn-js and form-js set style attributes on the elements they draw.
Images allow data: URIs (bpmn-js and the component CSS embed small SVG icons that way).
"""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

HTML_ONLY = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
}


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in ALWAYS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            for name, value in HTML_ONLY.items():
                response.headers.setdefault(name, value)
        return response
