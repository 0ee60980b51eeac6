"""Modal dialogs: confirmations and the member edit form."""
