"""Static files in production: hashed names (cache forever) and compressed copies, by whitenoise.

``support_js_module_import_aggregation`` makes the manifest rewrite the annotate page's ES-module imports
(``import … from "./annotate/x.js"``) to the hashed names too, so a deploy can never pair a new entry module
with cached old ones. Its rewrite is a regular expression: a comment in a module must not contain the word
"import" followed by a space and a quote (README "How it is built")."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
