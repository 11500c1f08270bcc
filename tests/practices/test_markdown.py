"""A how-to is markdown rendered without raw HTML: the component the practice page uses has
no rehype-raw plugin (react-markdown then shows a <script> as text; the browser journey
checks that it never runs)."""

from __future__ import annotations

from pmo_saas.practices.pages.common import safe_markdown


def test_how_to_markdown_has_no_raw_html_plugin():
    rendered = str(safe_markdown("<script>window.__pwned = 1</script> **bold**"))
    assert "rehypeRaw" not in rendered and "rehype-raw" not in rendered
    assert "remarkGfm" in rendered  # still markdown: tables, lists, links


def test_the_default_markdown_would_allow_raw_html():
    """The control: Reflex's own default turns raw HTML on, which is why the page does not
    use it."""
    import reflex as rx

    assert "rehypeRaw" in str(rx.markdown("x"))
