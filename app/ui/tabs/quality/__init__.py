"""The Quality tab's pages and dialogs (app.ui.tabs.quality_tab assembles them)."""
