"""Suara Muda polls: the file format, answering, results with suppression, closing the loop."""
