"""Users: people, owners of devices and voicemail boxes; they log in with user_auth."""
