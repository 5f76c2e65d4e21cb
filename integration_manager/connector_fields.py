"""What a connector declares about its settings, shared by the warehouse and cart sides."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ParameterField:
    """One setting a connector needs (an account id, a shop domain, an API key, ...), for the
    connection form."""

    name: str
    label: str
    help_text: str = ""
    is_required: bool = True
