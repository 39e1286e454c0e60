"""The patient's journey by tapping alone (issue 10): renew, pay, read notifications, one language."""
