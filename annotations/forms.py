"""Forms of the pages. They only shape input; the services check it (and their errors land on the form)."""

from django import forms

from annotations.domain.vocabulary import Role


class DeskForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000,
                                  help_text="What the desk covers.")  # fmt: skip
    guidelines = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20_000,
        help_text="How this desk decides verdicts; reviewers see it on every article.",
    )

    publisher_name = forms.CharField(
        required=False,
        max_length=200,
        label="Publisher",
        help_text="The organisation that publishes the verdicts, on their public pages and in ClaimReview.",
    )
    publisher_url = forms.CharField(required=False, max_length=500, label="Publisher's web site")
    blind_review = forms.BooleanField(
        required=False,
        label="Blind review",
        help_text="Reviewers see others' verdicts on a claim only after submitting theirs.",
    )


class DeskCreateForm(DeskForm):
    slug = forms.CharField(max_length=100, help_text="In links and export file names: lowercase letters, digits and "
                           "hyphens, e.g. politics-desk. It cannot change later.")  # fmt: skip
    field_order = ["name", "slug", "description", "guidelines", "publisher_name", "publisher_url"]


class InviteForm(forms.Form):
    user = forms.CharField(
        label="Username or e-mail",
        max_length=254,
        help_text="An address without an account gets one, and an e-mail to choose a password.",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.REVIEWER)


class DocumentTextForm(forms.Form):
    """A corrected text for a document: stored as its next version (``services.document_new_version``)."""

    body = forms.CharField(
        label="Text", strip=False, max_length=10_000_000, widget=forms.Textarea(attrs={"rows": 24}),
        help_text="The whole corrected article. It is cleaned as an import is; the annotations are then placed on it.",
    )  # fmt: skip
    reason = forms.CharField(
        required=False, max_length=500, label="What changed",
        help_text="Shown in the version history, e.g. “Corrected troop numbers (editor's note of 3 December)”.",
    )  # fmt: skip
