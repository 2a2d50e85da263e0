"""IVR menus."""
