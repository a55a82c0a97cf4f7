"""The Benefits tab's pages and dialogs."""
