"""Chronic care between visits: home readings and alerts, medication reminders, follow-up plans,
lab results and orders, and booked in-person visits. Depends on hospital and core; nothing in
hospital imports it (core <- hospital <- chronic)."""
