"""Turning a kind of email and its placeholders into subject, text and HTML.

Wording comes from the administrators' EmailTemplate for the kind when there is an active one,
otherwise from the files templates/emails/<kind>/subject.txt, body.txt and body.html. Wording
written in the admin may use only the kind's named placeholders ({{ name }}) and
{% if name %}...{% endif %}; check_wording() enforces that when it is saved.
"""

from django.conf import settings
from django.template import Context, Template, TemplateSyntaxError
from django.template.base import TextNode, VariableNode
from django.template.defaulttags import IfNode
from django.template.loader import get_template, render_to_string
from django.utils.html import escape, linebreaks, urlize
from django.utils.safestring import mark_safe

from . import registry
from .models import EmailTemplate


class WordingError(ValueError):
    pass


def _walk(nodelist, allowed, found):
    for node in nodelist:
        if isinstance(node, TextNode):
            continue
        if isinstance(node, VariableNode):
            expression = node.filter_expression
            name = expression.var.var if hasattr(expression.var, "var") else None
            if expression.filters or not isinstance(name, str) or "." in name:
                raise WordingError(
                    f"Only plain placeholders are allowed, such as {{{{ reference }}}}: {node.token.contents!r}."
                )
            if name not in allowed:
                raise WordingError(f"Unknown placeholder {{{{ {name} }}}}. Available: {', '.join(sorted(allowed))}.")
            found.add(name)
            continue
        if isinstance(node, IfNode):
            for condition, body in node.conditions_nodelists:
                if condition is not None:
                    _check_condition(condition, allowed, found)
                _walk(body, allowed, found)
            continue
        token = getattr(node, "token", None)
        raise WordingError(
            f"Only placeholders and {{% if name %}} ... {{% endif %}} are allowed, not {{% {token.contents if token else node} %}}."
        )


def _check_condition(condition, allowed, found):
    # An if-condition is a tree of and/or/not over literals; each literal must be a placeholder.
    if getattr(condition, "id", None) not in ("literal", "not", "and", "or"):
        raise WordingError("An {% if %} may only test whether a placeholder has a value, e.g. {% if reference %}.")
    for part in ("first", "second"):
        child = getattr(condition, part, None)
        if child is not None:
            _check_condition(child, allowed, found)
    value = getattr(condition, "value", None)
    if value is not None:
        if getattr(value, "filters", None):
            raise WordingError("Only plain placeholders can be tested in an {% if %}: no filters.")
        name = getattr(getattr(value, "var", None), "var", None)
        if name not in allowed:
            raise WordingError(f"Unknown placeholder {name!r} in an if. Available: {', '.join(sorted(allowed))}.")
        found.add(name)


def check_wording(kind_name, text):
    """Raise WordingError if `text` is not valid wording for the kind; returns placeholders used."""
    kind = registry.get(kind_name)
    try:
        template = Template(text)
    except TemplateSyntaxError as exc:
        raise WordingError(f"The wording cannot be read: {exc}") from exc
    found = set()
    _walk(template.nodelist, set(kind.placeholders), found)
    return found


def default_wording(kind_name):
    """The file templates' subject and text, as the admin's starting point."""
    kind = registry.get(kind_name)
    subject = get_template(f"{kind.template_prefix}/subject.txt").template.source
    body = get_template(f"{kind.template_prefix}/body.txt").template.source
    return subject.strip(), body


def _render_text(source, context):
    return Template(source).render(Context(context, autoescape=False))


def active_wording(kinds):
    """The administrators' active wording for these kinds, by kind (one query for a batch)."""
    return {wording.kind: wording for wording in EmailTemplate.objects.filter(kind__in=set(kinds), is_active=True)}


_LOOK_UP = object()


def render(kind_name, placeholders, html_context=None, wording=_LOOK_UP):
    """Returns (subject, text, html) for the kind with the given placeholder values.

    `wording` is the kind's EmailTemplate or None when the caller already looked it up."""
    kind = registry.get(kind_name)
    # Only the kind's own placeholders reach its wording: a value passed for another kind (the
    # manage link, say) can never leak into an email not meant to carry it.
    context = {name: placeholders.get(name, "") for name in kind.placeholders}
    if wording is _LOOK_UP:
        wording = active_wording([kind_name]).get(kind_name)
    base = {"provider": settings.PROVIDER, "site_url": settings.SITE_URL}
    if wording:
        subject = _one_line(_render_text(wording.subject, context))
        text = _render_text(wording.body_text, context)
        # The text is escaped first, so the HTML made from it is safe to show as it is.
        body = mark_safe(linebreaks(urlize(escape(text))))  # noqa: S308
        html = render_to_string("emails/_layout_from_text.html", {**base, "subject": subject, "body": body})
    else:
        # Subject and text are plain text: rendered without HTML escaping.
        default_subject, default_text = default_wording(kind_name)
        subject = _one_line(_render_text(default_subject, context))
        text = _render_text(default_text, context)
        html = render_to_string(
            f"{kind.template_prefix}/body.html", {**base, **context, **(html_context or {}), "subject": subject}
        )
    text = text.strip() + "\n\n" + render_to_string("emails/_signature.txt", base).strip() + "\n"
    return subject, text, html


def _one_line(text):
    """Subjects are one line (as in Django's password reset email), and plain text: a new str,
    not the template's SafeString, so the HTML layout escapes it."""
    return " ".join(str.split(text))
