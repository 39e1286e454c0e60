"""Pharmacy: stock, orders paid through the insurance gateway, dispensing and delivery."""
