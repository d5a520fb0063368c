"""Polling stations (TPS): regions data, the TPS table's import, spatial index and queries."""
