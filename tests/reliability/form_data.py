"""What a browser would post for a page's form: every field's current value."""

from django import forms


def form_data(form: forms.BaseForm, **changes) -> dict[str, str]:
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None and getattr(form, "instance", None) is not None:
            # Fields added by the form itself (the connector choice) have no initial value.
            value = getattr(form.instance, name, None)
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
            continue
        if value is None:
            value = ""
        data[name] = value
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}
