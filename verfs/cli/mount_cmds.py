"""``verfs mount`` and ``verfs umount`` (being written)."""
