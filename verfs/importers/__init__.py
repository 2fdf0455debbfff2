"""Importers: history that no one here wrote, from git and from darcs."""
