"""Media files: metadata documents with the audio as their attachment."""
