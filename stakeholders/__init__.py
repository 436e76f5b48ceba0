"""Organisations of the programme, their contacts, and Cambodia's 25 provinces."""
