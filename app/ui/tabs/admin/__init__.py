"""The pages of the Admin tab, one module each; `app.ui.tabs.admin_tab.AdminTab` holds them."""
