"""The admin, by room (who may enter at all is ``annotations/admin_site.py``):

* ``scoping``  what each class shares: desk-scoped objects, choices and filters; writes only through services
* ``content``  desks, members, documents, claims
* ``review``   review queue, agreement
* ``audit``    annotations, evidence, history, assignments: read-only
"""

from annotations.admin import audit, content, review  # noqa: F401  (registers the model admins)
