"""The Payments tab's pages and dialogs (app.ui.tabs.payments_tab assembles them)."""
