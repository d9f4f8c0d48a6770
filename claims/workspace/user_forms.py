"""Forms of the user pages (/ws/users/): the shape of the input only; claims.users decides the rest
(unique username, password validators, who may, roles of an institution user) and names the field."""
from __future__ import annotations

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from claims.roles import ROLE_LABELS
from claims.users import ASSIGNABLE_ROLES
from insurance.models import Institution


def _role_choices():
    return [(name, ROLE_LABELS[name]) for name in ASSIGNABLE_ROLES]


class InstitutionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.fixmedins_code} {obj.name}"


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(label=_("Roles"), required=False, widget=forms.CheckboxSelectMultiple,
                                      choices=_role_choices)


class UserCreateForm(RolesForm):
    username = forms.CharField(label=_("Username"), max_length=150, validators=[UnicodeUsernameValidator()])
    name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput(render_value=False))
    password2 = forms.CharField(label=_("Password again"), strip=False,
                                widget=forms.PasswordInput(render_value=False))
    institution = InstitutionChoiceField(
        label=_("Institution (for an institution user)"), required=False,
        queryset=Institution.objects.order_by("fixmedins_code"), to_field_name="fixmedins_code",
        help_text=_("Leave empty for bureau staff. An institution user acts for this institution and holds no role."))

    field_order = ["username", "name", "email", "password", "password2", "roles", "institution"]

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data
