"""What every domain shares: extensions, users and roles, auth, errors, audit, notifications, i18n."""
