"""Delivery: signed credentials and their QR codes, and exactly-once delivery."""
