"""The annotate page: a source's text with its claims highlighted and a side panel to add, edit and link claims."""
